import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

extension DetectorEngine {
  /// `x` (NHWC) through `layer`'s 1×1 convolution, then `activation`.
  func pointwise(_ x: FeatureMap, _ layer: PointwiseLayer, batch: Int, activation: Activation) -> FeatureMap {
    let rows = batch * x.height * x.width
    let output = workspace.next(rows * layer.outputCount)
    layer.forward(
      input: x.values.pointer, rows: rows, activation: activation, output: output.pointer, pool: pool)
    return FeatureMap(values: output, height: x.height, width: x.width, channels: layer.outputCount)
  }

  /// `x` (NHWC) through a depthwise 3×3 convolution, stride 1, one pixel of zeros around (TF "same"
  /// and PyTorch agree at stride 1), no activation.
  func depthwise(_ x: FeatureMap, _ layer: DepthwiseLayer, batch: Int) -> FeatureMap {
    let geometry = ConvolutionGeometry.symmetric(
      inputHeight: x.height, inputWidth: x.width, kernelSize: layer.kernelSize, stride: 1)
    let output = workspace.next(x.count(batch: batch))
    layer.forward(
      input: x.values.readable, batch: batch, geometry: geometry, activation: .identity,
      output: output.buffer,
      pool: pool)
    return FeatureMap(values: output, height: x.height, width: x.width, channels: x.channels)
  }

  /// `x` from its level to `resampling`'s target: the channel-matching convolution (when there is
  /// one), then 3×3 stride-2 max pooling down or nearest upsampling to the target's exact size
  /// (`sizes`: every level's size at this input).
  func resample(_ x: FeatureMap, _ resampling: InferenceResampling, batch: Int, sizes: LevelSizes)
    -> FeatureMap
  {
    let matched = resampling.convolution.map { pointwise(x, $0, batch: batch, activation: .identity) } ?? x
    let steps = resampling.targetLevel - resampling.sourceLevel
    precondition(abs(steps) <= 1, "BiFPN edges join neighbouring levels")
    if steps == 0 { return matched }
    if steps > 0 {
      let geometry = layout.configuration.padding.geometry(
        inputHeight: matched.height, inputWidth: matched.width, kernel: 3, stride: 2)
      let output = workspace.next(batch * geometry.outputHeight * geometry.outputWidth * matched.channels)
      FeatureResampling.maxPool(
        input: matched.values.readable, batch: batch, channels: matched.channels, geometry: geometry,
        output: output.buffer, pool: pool)
      return FeatureMap(
        values: output, height: geometry.outputHeight, width: geometry.outputWidth, channels: matched.channels
      )
    }
    let target = sizes[resampling.targetLevel]!
    let output = workspace.next(batch * target.height * target.width * matched.channels)
    FeatureResampling.nearestUpsample(
      input: matched.values.readable, batch: batch, height: matched.height, width: matched.width,
      channels: matched.channels, outputHeight: target.height, outputWidth: target.width,
      output: output.buffer,
      pool: pool)
    return FeatureMap(values: output, height: target.height, width: target.width, channels: matched.channels)
  }
}
