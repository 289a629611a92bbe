import EfficientNetLayers
import EfficientNetModels

/// A convolution and the batch norm after it, in training form.
struct NormalizedConvolution<Convolution> {
  let convolution: Convolution
  let normalization: BatchNormLayer
  /// The layout's layer, for names and shapes.
  let layer: NetworkLayer
}

/// Everything one block reads and writes, bound from its layout.
struct TrainingBlock {
  let layout: BlockLayout
  let expansion: NormalizedConvolution<PointwiseLayer>?
  let depthwise: NormalizedConvolution<DepthwiseLayer>
  let squeezeExcitation: SqueezeExcitationLayer?
  let projection: NormalizedConvolution<PointwiseLayer>

  init(_ store: ParameterStore, _ layout: BlockLayout) {
    self.layout = layout
    expansion = layout.expansion.map {
      NormalizedConvolution(
        convolution: store.pointwise($0), normalization: store.batchNorm(after: $0), layer: $0)
    }
    depthwise = NormalizedConvolution(
      convolution: store.depthwise(layout.depthwise), normalization: store.batchNorm(after: layout.depthwise),
      layer: layout.depthwise)
    squeezeExcitation = layout.squeezeExcitation.map {
      SqueezeExcitationLayer(reduce: store.pointwise($0.reduce), expand: store.pointwise($0.expand))
    }
    projection = NormalizedConvolution(
      convolution: store.pointwise(layout.projection),
      normalization: store.batchNorm(after: layout.projection),
      layer: layout.projection)
  }

  var block: ResolvedBlock { layout.block }

  /// Repacks every weight for the forward kernels (after the optimizer changed them).
  func refresh() {
    expansion?.convolution.refresh()
    depthwise.convolution.refresh()
    squeezeExcitation?.reduce.refresh()
    squeezeExcitation?.expand.refresh()
    projection.convolution.refresh()
  }
}
