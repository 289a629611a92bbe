import EfficientNetCore
import EfficientNetKernels

/// A dense k×k convolution over NHWC (the stem): forward through ``Convolution``, the weight gradient
/// through ``ConvolutionBackward`` (its input is the data, which needs no gradient).
///
/// A trainable layer keeps `W` `[O, I, K, K]` (PyTorch's layout), its gradient and its packing
/// (``refresh()`` after an update); a folded inference layer keeps the packing and a bias.
public final class ConvolutionLayer {
  /// `W` `[O, I, K, K]`; nil in an inference-only layer.
  public let weight: FloatBuffer?
  /// `dW`, accumulated by ``weightBackward(input:batch:geometry:outputGradient:pool:)``.
  public let weightGradient: FloatBuffer?
  /// `W` packed for ``Convolution``.
  public let packed: FloatBuffer
  /// The folded batch norm's shift `[O]`; nil in a trainable layer.
  public let bias: FloatBuffer?
  /// I, O and K.
  public let inputChannels: Int, outputChannels: Int, kernelSize: Int

  /// A trainable layer over parameter buffers.
  public init(
    weight: FloatBuffer, weightGradient: FloatBuffer?, inputChannels: Int, outputChannels: Int,
    kernelSize: Int
  ) {
    precondition(
      weight.count == outputChannels * inputChannels * kernelSize * kernelSize, "W must be [O, I, K, K]")
    self.weight = weight
    self.weightGradient = weightGradient
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    bias = nil
    packed = FloatBuffer(
      count: Convolution.packedWeightCount(
        outputChannels: outputChannels, inputChannels: inputChannels, groups: 1, kernelHeight: kernelSize,
        kernelWidth: kernelSize))
    refresh()
  }

  /// An inference layer: `weights` `[O, I, K, K]` packed, `bias` `[O]` kept.
  public init(
    packing weights: [Float], bias: [Float], inputChannels: Int, outputChannels: Int, kernelSize: Int
  ) {
    weight = nil
    weightGradient = nil
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    self.bias = FloatBuffer(bias)
    packed = FloatBuffer(
      weights.withUnsafeBufferPointer {
        Convolution.packWeights(
          fromPyTorch: $0, outputChannels: outputChannels, inputChannels: inputChannels, groups: 1,
          kernelHeight: kernelSize, kernelWidth: kernelSize)
      })
  }

  /// Repacks the current weights after an update (no allocation).
  public func refresh() {
    guard let weight else { return }
    Convolution.packWeights(
      fromPyTorch: weight.readable, outputChannels: outputChannels, inputChannels: inputChannels, groups: 1,
      kernelHeight: kernelSize, kernelWidth: kernelSize, into: packed.buffer)
  }

  /// `y = act(conv(x) + b)`.
  ///
  /// - Parameters:
  ///   - input: `x` `[N, H, W, I]`.
  ///   - batch: N.
  ///   - geometry: the convolution's sizes and padding.
  ///   - activation: applied after the bias.
  ///   - output: `y` `[N, OH, OW, O]`.
  ///   - pool: the threads to use.
  public func forward(
    input: UnsafeBufferPointer<Float>, batch: Int, geometry: ConvolutionGeometry, activation: Activation,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool
  ) {
    Convolution.convolve(
      input: input, batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: 1,
      geometry: geometry, weights: packed.readable, bias: bias?.readable, activation: activation,
      output: output,
      pool: pool)
  }

  /// `dW += …` for the unbiased, unactivated forward.
  ///
  /// - Parameters:
  ///   - input: the forward input `x` `[N, H, W, I]`.
  ///   - batch: N.
  ///   - geometry: the forward geometry.
  ///   - outputGradient: `dY` `[N, OH, OW, O]`.
  ///   - pool: the threads to use.
  public func weightBackward(
    input: UnsafeBufferPointer<Float>, batch: Int, geometry: ConvolutionGeometry,
    outputGradient: UnsafeBufferPointer<Float>, pool: ComputePool
  ) {
    guard let weightGradient else { preconditionFailure("an inference layer has no gradient") }
    ConvolutionBackward.weightGradient(
      outputGradient: outputGradient, input: input, batch: batch, inputChannels: inputChannels,
      outputChannels: outputChannels, groups: 1, geometry: geometry, weightGradient: weightGradient.buffer,
      biasGradient: nil, accumulate: true, pool: pool)
  }
}
