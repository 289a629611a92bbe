import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels
import EfficientNetTraining

/// The gradients of a loss with respect to the heads' outputs, in their layout (NHWC, per level).
public struct HeadGradients {
  /// One per level, the shape of ``DetectorOutput/classOutputs``.
  public var classGradients: [Tensor]
  /// One per level, the shape of ``DetectorOutput/boxOutputs``.
  public var boxGradients: [Tensor]

  /// Gradients of the class and box outputs.
  public init(classGradients: [Tensor], boxGradients: [Tensor]) {
    self.classGradients = classGradients
    self.boxGradients = boxGradients
  }
}

/// An EfficientDet in training mode: the backbone's ``TrainingGraph`` up to P5, then the extra
/// levels, the BiFPN cells and both heads with batch statistics, and the gradient of every tensor by
/// reverse-mode differentiation over the same layout the inference engine reads.
///
/// Gradients accumulate (zero them between steps with ``zeroGradients()``); running statistics are
/// updated in place.
public final class DetectorTrainingGraph {
  /// The detector's description.
  public let layout: DetectorLayout
  /// The backbone's training graph (its head and classifier are never run).
  public let backbone: TrainingGraph
  /// The feature network's and heads' values and gradients.
  public let parameters: DetectorParameters
  /// Batch-norm momentum outside the backbone, PyTorch's convention (effdet's 0.01).
  public var batchNormMomentum = 0.01
  /// Whether the batch norms outside the backbone use and keep their running statistics.
  public var freezesBatchNormStatistics = false
  let pool: ComputePool
  let activation: Activation
  let workspace = Workspace()
  let extraLevels: [TrainingResampling]
  let cells: [[TrainingNode]]
  let classHead: TrainingHead
  let boxHead: TrainingHead

  /// Prepares `model` for training.
  public init(model: EfficientDet, pool: ComputePool = .shared) {
    layout = model.layout
    backbone = TrainingGraph(model: model.backbone, pool: pool)
    let parameters = DetectorParameters(model)
    self.parameters = parameters
    self.pool = pool
    activation = model.configuration.activation.kernelActivation
    extraLevels = layout.extraLevels.map { TrainingResampling(parameters, $0) }
    cells = layout.cells.map { $0.map { TrainingNode(parameters, $0) } }
    classHead = TrainingHead(parameters, layout.classHead)
    boxHead = TrainingHead(parameters, layout.boxHead)
  }

  /// Sets every gradient, the backbone's included, to zero.
  public func zeroGradients() {
    backbone.parameters.zeroGradients()
    parameters.zeroGradients()
  }

  /// The current parameters as a detector.
  public func model() throws -> EfficientDet {
    var tensors = parameters.tensors()
    for (name, tensor) in backbone.parameters.tensors() {
      tensors[DetectorLayout.backbonePrefix + name] = tensor
    }
    let expected = Set(layout.parameters.map(\.name))
    return try EfficientDet(
      configuration: layout.configuration, tensors: tensors.filter { expected.contains($0.key) },
      source: "training state")
  }

  /// One forward and backward pass: the heads' outputs go to `loss`, whose gradients flow back
  /// through the heads, the BiFPN and the backbone, adding every parameter's gradient.
  ///
  /// - Parameters:
  ///   - images: `[N, H, W, 3]` NHWC, normalized.
  ///   - generator: draws the backbone's stochastic-depth masks.
  ///   - loss: the loss of the outputs and its gradients with respect to them.
  /// - Returns: what `loss` returned as its value.
  public func step(
    images: Tensor, generator: inout SeededGenerator,
    loss: (DetectorOutput) throws -> (value: Double, gradients: HeadGradients)
  ) throws -> Double {
    let forward = try backbone.forwardFeatures(
      images: images, stages: layout.backboneFeatureStages, generator: &generator)
    refreshPackedWeights()
    workspace.reset()
    let batch = images.shape[0]
    let pass = DetectorTrainingPass(
      graph: self, batch: batch, sizes: layout.levelSizes(height: images.shape[1], width: images.shape[2]))
    var levels = zip(forward.features, forward.featureSizes).map { values, size in
      FeatureMap(
        values: values, height: size.height, width: size.width,
        channels: values.count / (batch * size.height * size.width))
    }
    var extraRecords: [ResamplingRecord] = []
    for extra in extraLevels {
      let record = pass.resample(levels.last!, extra)
      extraRecords.append(record)
      levels.append(record.output)
    }
    var cellRecords: [(records: [NodeRecord], nodes: [FeatureMap])] = []
    for cell in cells {
      let result = pass.cellForward(cell, inputs: levels)
      cellRecords.append(result)
      levels = layout.graph.outputs.map { result.nodes[$0] }
    }
    let classRecords = levels.enumerated().map { pass.headForward(classHead, level: $0, input: $1) }
    let boxRecords = levels.enumerated().map { pass.headForward(boxHead, level: $0, input: $1) }
    func tensor(_ map: FeatureMap) -> Tensor {
      Tensor(shape: [batch, map.height, map.width, map.channels], values: map.values.array)
    }
    let output = DetectorOutput(
      classOutputs: classRecords.map { tensor($0.output) }, boxOutputs: boxRecords.map { tensor($0.output) })
    let (value, gradients) = try loss(output)

    // Backward: heads, cells, extra levels, backbone.
    var levelGradients = levels.indices.map { offset -> FloatBuffer in
      let classGradient = pass.headBackward(
        classHead, level: offset, classRecords[offset],
        outputGradient: pass.copy(gradients.classGradients[offset]))
      let boxGradient = pass.headBackward(
        boxHead, level: offset, boxRecords[offset], outputGradient: pass.copy(gradients.boxGradients[offset]))
      Elementwise.add(boxGradient.readable, into: classGradient.buffer, pool: pool)
      return classGradient
    }
    for (cell, result) in zip(cells, cellRecords).reversed() {
      levelGradients = pass.cellBackward(
        cell, result.records, nodes: result.nodes, outputGradients: levelGradients)
    }
    // P7 into P6, then P6 into P5: each extra level's gradient joins the level it came from.
    for (extra, record) in zip(extraLevels, extraRecords).reversed() {
      let outputGradient = levelGradients.removeLast()
      var inputGradient: FloatBuffer? = levelGradients[levelGradients.count - 1]
      pass.resampleBackward(record, extra, outputGradient: outputGradient, into: &inputGradient)
    }
    backbone.backwardFeatures(forward, gradients: levelGradients)
    return value
  }

  /// Repacks every weight for the forward kernels (after the optimizer changed them).
  func refreshPackedWeights() {
    for cell in cells {
      for node in cell {
        node.depthwise.refresh()
        node.pointwise.refresh()
        for resampling in node.resamplings { resampling.convolution?.refresh() }
      }
    }
    for extra in extraLevels { extra.convolution?.refresh() }
    for refresh in classHead.refreshable + boxHead.refreshable { refresh() }
  }
}

extension DetectorTrainingPass {
  /// `tensor`'s values in a workspace buffer.
  func copy(_ tensor: Tensor) -> FloatBuffer {
    let result = buffer(tensor.count)
    tensor.withUnsafeBufferPointer {
      result.buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
    }
    return result
  }
}
