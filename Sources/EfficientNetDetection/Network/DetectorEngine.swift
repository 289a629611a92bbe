import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// What one evaluation of an EfficientDet returns: the heads' raw outputs per level.
public struct DetectorOutput: Sendable {
  /// Class logits per level (P3 first), NHWC `[N, H, W, 9·classes]`, anchor-major channels.
  public var classOutputs: [Tensor]
  /// Box regressions per level, NHWC `[N, H, W, 36]` (`[ty, tx, th, tw]` per anchor).
  public var boxOutputs: [Tensor]
}

/// An EfficientDet compiled for inference: the backbone's engine (stopping at its last feature
/// stage), and the feature network and heads with batch norm folded and weights packed, on buffers
/// reused from one evaluation to the next.
///
/// Not thread-safe: evaluate from one thread at a time.
public final class DetectorEngine {
  /// The detector's description.
  public let layout: DetectorLayout
  let backbone: InferenceEngine
  let pool: ComputePool
  let activation: Activation
  let extraLevels: [InferenceResampling]
  let cells: [[InferenceNode]]
  let classHead: InferenceHead
  let boxHead: InferenceHead
  /// The intermediate feature maps of a pass, in the order the pass asks for them.
  let workspace = Workspace()
  /// The head outputs of the last evaluation, written in place by the next one when the caller has
  /// let go of them (copied first otherwise, as tensors are copy-on-write).
  var outputs: [Tensor] = []

  /// Folds and packs `detector`'s tensors.
  public init(_ detector: EfficientDet, pool: ComputePool = .shared) {
    layout = detector.layout
    backbone = InferenceEngine(model: detector.backbone, pool: pool)
    self.pool = pool
    activation = detector.configuration.activation.kernelActivation
    extraLevels = layout.extraLevels.map { InferenceResampling(detector, $0) }
    cells = layout.cells.map { $0.map { InferenceNode(detector, $0) } }
    classHead = InferenceHead(detector, layout.classHead)
    boxHead = InferenceHead(detector, layout.boxHead)
  }

  /// Evaluates a batch: `input` NHWC `[N, H, W, 3]`, already normalized.
  ///
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a wrong shape or non-finite values;
  ///   ``ModelError/nonFiniteOutput(layer:)`` when the activations overflow.
  public func evaluate(_ input: Tensor) throws -> DetectorOutput {
    let features = try backbone.evaluate(input, collectFeatures: true, featuresOnly: true).features
    let stages = layout.backbone.architecture.featureStages
    workspace.reset()
    let batch = input.shape[0]
    // P3–P5: the backbone features at the detector's three stages.
    var levels = layout.backboneFeatureStages.map { stage -> FeatureMap in
      let feature = features[stages.firstIndex(of: stage)!]
      let values = workspace.next(feature.count)
      feature.withUnsafeBufferPointer { _ = values.buffer.update(fromContentsOf: $0) }
      return FeatureMap(
        values: values, height: feature.shape[1], width: feature.shape[2], channels: feature.shape[3])
    }
    let sizes = layout.levelSizes(height: input.shape[1], width: input.shape[2])
    for extra in extraLevels { levels.append(resample(levels.last!, extra, batch: batch, sizes: sizes)) }
    for cell in cells { levels = run(cell, levels, batch: batch, sizes: sizes) }
    // The engine's references to the last outputs move into the heads, so a tensor the caller no
    // longer holds is written in place.
    var reusable = outputs
    outputs = []
    let classOutputs = run(classHead, levels, batch: batch, reusing: &reusable, from: 0)
    let boxOutputs = run(boxHead, levels, batch: batch, reusing: &reusable, from: levels.count)
    outputs = classOutputs + boxOutputs
    for (name, outputs) in [("class_net", classOutputs), ("box_net", boxOutputs)] {
      guard outputs.allSatisfy({ $0.withUnsafeBufferPointer { Elementwise.allFinite($0) } }) else {
        throw ModelError.nonFiniteOutput(layer: name)
      }
    }
    return DetectorOutput(classOutputs: classOutputs, boxOutputs: boxOutputs)
  }

  /// One BiFPN cell: each node fuses its resampled inputs; the cell returns each level's last node.
  func run(_ cell: [InferenceNode], _ inputs: [FeatureMap], batch: Int, sizes: LevelSizes) -> [FeatureMap] {
    var nodes = inputs
    for node in cell {
      let resampled = zip(node.node.inputs, node.resamplings).map {
        resample(nodes[$0], $1, batch: batch, sizes: sizes)
      }
      let first = resampled[0]
      let fused = workspace.next(first.count(batch: batch))
      GradientArithmetic.fillWithZeros(fused.buffer, pool: pool)
      for (map, coefficient) in zip(resampled, node.coefficients) {
        Elementwise.addScaled(coefficient, map.values.readable, into: fused.buffer, pool: pool)
      }
      Elementwise.applyActivation(activation, to: fused.buffer, pool: pool)
      let fusedMap = FeatureMap(
        values: fused, height: first.height, width: first.width, channels: first.channels)
      let convolved = depthwise(fusedMap, node.depthwise, batch: batch)
      nodes.append(pointwise(convolved, node.pointwise, batch: batch, activation: .identity))
    }
    return layout.graph.outputs.map { nodes[$0] }
  }

  /// A head at every level: the shared convolutions, each level's batch norms, the prediction, written
  /// into `reusable[start + level]` (taken out of the array) where its shape fits.
  func run(
    _ head: InferenceHead, _ levels: [FeatureMap], batch: Int, reusing reusable: inout [Tensor],
    from start: Int
  ) -> [Tensor] {
    levels.enumerated().map { offset, level in
      var x = level
      for (depthwiseLayer, pointwiseLayers) in zip(head.depthwise, head.pointwise) {
        x = pointwise(
          depthwise(x, depthwiseLayer, batch: batch), pointwiseLayers[offset], batch: batch,
          activation: activation)
      }
      let shape = [batch, x.height, x.width, head.prediction.outputCount]
      var output: Tensor
      if start + offset < reusable.count, reusable[start + offset].shape == shape {
        output = reusable[start + offset]
        reusable[start + offset] = Tensor(zeros: [0])
      } else {
        output = Tensor(zeros: shape)
      }
      let convolved = depthwise(x, head.predictionDepthwise, batch: batch)
      output.withUnsafeMutableBufferPointer { result in
        head.prediction.forward(
          input: convolved.values.pointer, rows: batch * x.height * x.width, activation: .identity,
          output: result.baseAddress!, pool: pool)
      }
      return output
    }
  }
}
