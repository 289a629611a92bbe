import EfficientNetCore
import EfficientNetLayers

/// One input of a BiFPN node (or an extra level) over trainable buffers.
struct TrainingResampling {
  let sourceLevel: Int, targetLevel: Int
  let convolution: PointwiseLayer?
  let normalization: BatchNormLayer?

  init(_ parameters: DetectorParameters, _ resampling: PyramidResampling) {
    sourceLevel = resampling.sourceLevel
    targetLevel = resampling.targetLevel
    convolution = resampling.convolution.map(parameters.pointwise)
    normalization = resampling.normalization.map(parameters.batchNorm)
  }
}

/// One BiFPN node over trainable buffers.
struct TrainingNode {
  let node: PyramidNode
  let resamplings: [TrainingResampling]
  /// The fusion weights' values and gradients; nil for sum fusion.
  let fusionWeights: (values: FloatBuffer, gradients: FloatBuffer)?
  let depthwise: DepthwiseLayer
  let pointwise: PointwiseLayer
  let normalization: BatchNormLayer

  init(_ parameters: DetectorParameters, _ layout: PyramidNodeLayout) {
    node = layout.node
    resamplings = layout.resamplings.map { TrainingResampling(parameters, $0) }
    fusionWeights = layout.fusionWeights.map { (parameters.values[$0.name]!, parameters.gradients[$0.name]!) }
    depthwise = parameters.depthwise(layout.convolution.depthwise)
    pointwise = parameters.pointwise(layout.convolution.pointwise)
    normalization = parameters.batchNorm(layout.normalization)
  }

  /// The fusion's factors and divisor (``FeatureFusion/coefficients(weights:inputCount:)``).
  var coefficients: (factors: [Float], divisor: Float) {
    FeatureFusion.coefficients(weights: fusionWeights?.values.array, inputCount: node.inputs.count)
  }
}

/// A class or box head over trainable buffers: shared convolutions, a batch norm per level.
struct TrainingHead {
  let depthwise: [DepthwiseLayer]
  let pointwise: [PointwiseLayer]
  /// `[repeat][level offset]`.
  let normalizations: [[BatchNormLayer]]
  let predictionDepthwise: DepthwiseLayer
  let prediction: PointwiseLayer

  init(_ parameters: DetectorParameters, _ layout: HeadLayout) {
    depthwise = layout.repeats.map { parameters.depthwise($0.depthwise) }
    pointwise = layout.repeats.map { parameters.pointwise($0.pointwise) }
    normalizations = layout.normalizations.map { $0.map(parameters.batchNorm) }
    predictionDepthwise = parameters.depthwise(layout.prediction.depthwise)
    prediction = parameters.pointwise(layout.prediction.pointwise)
  }

  /// Every layer whose packed weights follow its values.
  var refreshable: [() -> Void] {
    depthwise.map { layer in { layer.refresh() } } + pointwise.map { layer in { layer.refresh() } }
      + [{ self.predictionDepthwise.refresh() }, { self.prediction.refresh() }]
  }
}
