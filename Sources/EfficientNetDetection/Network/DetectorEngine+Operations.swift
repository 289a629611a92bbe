import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

extension DetectorEngine {
  /// `x` (NHWC) through `layer`'s 1×1 convolution, then `activation`.
  func pointwise(_ x: Tensor, _ layer: PointwiseLayer, activation: Activation) -> Tensor {
    var shape = x.shape
    shape[3] = layer.outputCount
    var output = Tensor(zeros: shape)
    x.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { result in
        layer.forward(
          input: input.baseAddress!, rows: shape[0] * shape[1] * shape[2], activation: activation,
          output: result.baseAddress!, pool: pool)
      }
    }
    return output
  }

  /// `x` (NHWC) through a depthwise 3×3 convolution, stride 1, one pixel of zeros around (TF "same"
  /// and PyTorch agree at stride 1), then `activation`.
  func depthwise(_ x: Tensor, _ layer: DepthwiseLayer, activation: Activation) -> Tensor {
    let geometry = ConvolutionGeometry.symmetric(
      inputHeight: x.shape[1], inputWidth: x.shape[2], kernelSize: layer.kernelSize, stride: 1)
    var output = Tensor(zeros: x.shape)
    x.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { result in
        layer.forward(
          input: input, batch: x.shape[0], geometry: geometry, activation: activation, output: result,
          pool: pool)
      }
    }
    return output
  }

  /// `x` from its level to `resampling`'s target: the channel-matching convolution (when there is
  /// one), then 3×3 stride-2 max pooling down or nearest upsampling to the target's exact size
  /// (`sizes`: every level's size at this input).
  func resample(_ x: Tensor, _ resampling: InferenceResampling, sizes: LevelSizes) -> Tensor {
    let matched = resampling.convolution.map { pointwise(x, $0, activation: .identity) } ?? x
    let (batch, height, width, channels) = (
      matched.shape[0], matched.shape[1], matched.shape[2], matched.shape[3]
    )
    let steps = resampling.targetLevel - resampling.sourceLevel
    precondition(abs(steps) <= 1, "BiFPN edges join neighbouring levels")
    if steps == 0 { return matched }
    if steps > 0 {
      let geometry = layout.configuration.padding.geometry(
        inputHeight: height, inputWidth: width, kernel: 3, stride: 2)
      var output = Tensor(zeros: [batch, geometry.outputHeight, geometry.outputWidth, channels])
      matched.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { result in
          FeatureResampling.maxPool(
            input: input, batch: batch, channels: channels, geometry: geometry, output: result, pool: pool)
        }
      }
      return output
    }
    let target = sizes[resampling.targetLevel]!
    var output = Tensor(zeros: [batch, target.height, target.width, channels])
    matched.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { result in
        FeatureResampling.nearestUpsample(
          input: input, batch: batch, height: height, width: width, channels: channels,
          outputHeight: target.height,
          outputWidth: target.width, output: result, pool: pool)
      }
    }
    return output
  }
}
