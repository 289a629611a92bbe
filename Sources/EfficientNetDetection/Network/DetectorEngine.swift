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

/// An EfficientDet compiled for inference: the backbone's engine, and the feature network and
/// heads with batch norm folded and weights packed.
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
    let features = try backbone.evaluate(input, collectFeatures: true).features
    let stages = layout.backbone.architecture.featureStages
    // P3–P5: the backbone features at the detector's three stages.
    var levels = layout.backboneFeatureStages.map { features[stages.firstIndex(of: $0)!] }
    let sizes = layout.levelSizes(height: input.shape[1], width: input.shape[2])
    for extra in extraLevels { levels.append(resample(levels.last!, extra, sizes: sizes)) }
    for cell in cells { levels = run(cell, levels, sizes: sizes) }
    let classOutputs = run(classHead, levels)
    let boxOutputs = run(boxHead, levels)
    for (name, outputs) in [("class_net", classOutputs), ("box_net", boxOutputs)] {
      guard outputs.allSatisfy({ $0.withUnsafeBufferPointer { Elementwise.allFinite($0) } }) else {
        throw ModelError.nonFiniteOutput(layer: name)
      }
    }
    return DetectorOutput(classOutputs: classOutputs, boxOutputs: boxOutputs)
  }

  /// One BiFPN cell: each node fuses its resampled inputs; the cell returns each level's last node.
  func run(_ cell: [InferenceNode], _ inputs: [Tensor], sizes: LevelSizes) -> [Tensor] {
    var nodes = inputs
    for node in cell {
      let resampled = zip(node.node.inputs, node.resamplings).map { resample(nodes[$0], $1, sizes: sizes) }
      var fused = Tensor(zeros: resampled[0].shape)
      fused.withUnsafeMutableBufferPointer { output in
        for (tensor, coefficient) in zip(resampled, node.coefficients) {
          tensor.withUnsafeBufferPointer { Elementwise.addScaled(coefficient, $0, into: output, pool: pool) }
        }
        Elementwise.applyActivation(activation, to: output, pool: pool)
      }
      let convolved = depthwise(fused, node.depthwise, activation: .identity)
      nodes.append(pointwise(convolved, node.pointwise, activation: .identity))
    }
    return layout.graph.outputs.map { nodes[$0] }
  }

  /// A head at every level: the shared convolutions, each level's batch norms, the prediction.
  func run(_ head: InferenceHead, _ levels: [Tensor]) -> [Tensor] {
    levels.enumerated().map { offset, level in
      var x = level
      for (depthwiseLayer, pointwiseLayers) in zip(head.depthwise, head.pointwise) {
        x = pointwise(
          depthwise(x, depthwiseLayer, activation: .identity), pointwiseLayers[offset], activation: activation
        )
      }
      return pointwise(
        depthwise(x, head.predictionDepthwise, activation: .identity), head.prediction, activation: .identity)
    }
  }
}
