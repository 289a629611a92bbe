import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers

extension EfficientNet {
  /// `layer`'s weights `[O, …]` (PyTorch's layout) with its batch norm folded in, and the folded bias
  /// `[O]`: what the inference engine packs and the ONNX export writes.
  public func folded(_ layer: NetworkLayer) -> (weights: [Float], bias: [Float]) {
    BatchNormFolding.fold(
      weights: tensor(.convolutionWeight, of: layer).scalars,
      scale: tensor(.batchNormWeight, of: layer).scalars,
      shift: tensor(.batchNormBias, of: layer).scalars, runningMean: tensor(.runningMean, of: layer).scalars,
      runningVariance: tensor(.runningVariance, of: layer).scalars, epsilon: configuration.batchNormEpsilon)
  }

  /// A normalized 1×1 layer in its folded, packed inference form.
  func foldedPointwise(_ layer: NetworkLayer) -> PointwiseLayer {
    let (weights, bias) = folded(layer)
    return PointwiseLayer(packing: weights, bias: bias, outputCount: layer.outputChannels)
  }

  /// Squeeze-and-excitation's convolution, unpacked (its gate kernel reads the weights directly).
  func squeezeExcitationPointwise(_ layer: NetworkLayer) -> PointwiseLayer {
    PointwiseLayer(
      unpacked: FloatBuffer(copying: tensor(.convolutionWeight, of: layer)),
      bias: FloatBuffer(copying: tensor(.bias, of: layer)), outputCount: layer.outputChannels)
  }
}

/// One MBConv / depthwise-separable block in inference form: batch norm folded, weights packed.
struct InferenceBlock {
  let layout: BlockLayout
  let expansion: PointwiseLayer?
  let depthwise: DepthwiseLayer
  let squeezeExcitation: SqueezeExcitationLayer?
  let projection: PointwiseLayer

  init(model: EfficientNet, layout: BlockLayout) {
    self.layout = layout
    expansion = layout.expansion.map(model.foldedPointwise)
    let (weights, bias) = model.folded(layout.depthwise)
    depthwise = DepthwiseLayer(
      packing: weights, bias: bias, channels: layout.depthwise.outputChannels,
      kernelSize: layout.depthwise.kernelSize)
    squeezeExcitation = layout.squeezeExcitation.map {
      SqueezeExcitationLayer(
        reduce: model.squeezeExcitationPointwise($0.reduce),
        expand: model.squeezeExcitationPointwise($0.expand))
    }
    projection = model.foldedPointwise(layout.projection)
  }

  var block: ResolvedBlock { layout.block }
}
