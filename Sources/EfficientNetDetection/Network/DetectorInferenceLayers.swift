import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// A 1×1 convolution with the batch norm after it folded in, packed.
func foldedPointwise(
  _ detector: EfficientDet, _ layer: DetectorLayer, _ normalization: DetectorNormalization?
) -> PointwiseLayer {
  let (weights, bias) = detector.folded(layer, normalization)
  return PointwiseLayer(packing: weights, bias: bias, outputCount: layer.outputChannels)
}

extension EfficientDet {
  /// A 1×1 convolution's weights `[O, I, 1, 1]` with `normalization` folded in, its own bias (effdet's
  /// redundant bias) included: `W' = W·γ/√(σ²+ε)`, `b' = β + (b − μ)·γ/√(σ²+ε)`; without a batch norm,
  /// the weights and the bias (zeros when it has none). What the engine packs and the ONNX export
  /// writes.
  public func folded(_ layer: DetectorLayer, _ normalization: DetectorNormalization?) -> (
    weights: [Float], bias: [Float]
  ) {
    let weights = tensor(layer.module + ".weight").scalars
    let bias =
      layer.hasBias
      ? tensor(layer.module + ".bias").scalars : [Float](repeating: 0, count: layer.outputChannels)
    guard let normalization else { return (weights, bias) }
    let mean = tensor(normalization.module + ".running_mean").scalars
    return BatchNormFolding.fold(
      weights: weights, scale: tensor(normalization.module + ".weight").scalars,
      shift: tensor(normalization.module + ".bias").scalars, runningMean: zip(mean, bias).map { $0 - $1 },
      runningVariance: tensor(normalization.module + ".running_var").scalars,
      epsilon: Double(DetectorNormalization.epsilon))
  }
}

/// A depthwise 3×3 convolution without bias, packed.
func packedDepthwise(_ detector: EfficientDet, _ layer: DetectorLayer) -> DepthwiseLayer {
  DepthwiseLayer(
    packing: detector.tensor(layer.module + ".weight").scalars,
    bias: [Float](repeating: 0, count: layer.outputChannels), channels: layer.outputChannels,
    kernelSize: DetectorLayer.depthwiseKernelSize)
}

/// One input of a BiFPN node in inference form.
struct InferenceResampling {
  let sourceLevel: Int, targetLevel: Int
  let convolution: PointwiseLayer?

  init(_ detector: EfficientDet, _ resampling: PyramidResampling) {
    sourceLevel = resampling.sourceLevel
    targetLevel = resampling.targetLevel
    convolution = resampling.convolution.map { foldedPointwise(detector, $0, resampling.normalization) }
  }
}

/// One BiFPN node in inference form: resamplings, fusion coefficients, folded separable convolution.
struct InferenceNode {
  let node: PyramidNode
  let resamplings: [InferenceResampling]
  /// Each input's factor: `relu(wᵢ) / (Σ relu(wⱼ) + 1e-4)` for fast normalized fusion, 1 for sums.
  let coefficients: [Float]
  let depthwise: DepthwiseLayer
  let pointwise: PointwiseLayer

  init(_ detector: EfficientDet, _ layout: PyramidNodeLayout) {
    node = layout.node
    resamplings = layout.resamplings.map { InferenceResampling(detector, $0) }
    coefficients =
      FeatureFusion.coefficients(
        weights: layout.fusionWeights.map { detector.tensor($0.name).scalars },
        inputCount: layout.node.inputs.count
      ).factors
    depthwise = packedDepthwise(detector, layout.convolution.depthwise)
    pointwise = foldedPointwise(detector, layout.convolution.pointwise, layout.normalization)
  }
}

/// A class or box head in inference form: per repeat one shared depthwise layer and one folded
/// pointwise layer per level (each level has its own batch norm), then the prediction layers.
struct InferenceHead {
  let depthwise: [DepthwiseLayer]
  /// `[repeat][level offset]`.
  let pointwise: [[PointwiseLayer]]
  let predictionDepthwise: DepthwiseLayer
  let prediction: PointwiseLayer

  init(_ detector: EfficientDet, _ layout: HeadLayout) {
    depthwise = layout.repeats.map { packedDepthwise(detector, $0.depthwise) }
    pointwise = zip(layout.repeats, layout.normalizations).map { convolution, normalizations in
      normalizations.map { foldedPointwise(detector, convolution.pointwise, $0) }
    }
    predictionDepthwise = packedDepthwise(detector, layout.prediction.depthwise)
    prediction = foldedPointwise(detector, layout.prediction.pointwise, nil)
  }
}
