import EfficientNetCore
import EfficientNetKernels

/// A depthwise k×k convolution over NHWC, one filter per channel: forward through
/// ``DepthwiseConvolution`` (optionally fused with the 1×1 expansion before it), backward through
/// ``DepthwiseConvolutionBackward``.
///
/// A trainable layer keeps `W` `[C, 1, KH, KW]` (PyTorch's layout), its gradient and its `[KH, KW, C]`
/// packing (``refresh()`` after an update); a folded inference layer keeps the packing and a bias.
public final class DepthwiseLayer {
  /// `W` `[C, 1, K, K]`; nil in an inference-only layer.
  public let weight: FloatBuffer?
  /// `dW`, accumulated by the backward pass.
  public let weightGradient: FloatBuffer?
  /// `W` packed `[K, K, C]`.
  public let packed: FloatBuffer
  /// The folded batch norm's shift `[C]`; nil in a trainable layer.
  public let bias: FloatBuffer?
  /// C and K.
  public let channels: Int, kernelSize: Int

  /// A trainable layer over parameter buffers.
  public init(weight: FloatBuffer, weightGradient: FloatBuffer?, channels: Int, kernelSize: Int) {
    precondition(weight.count == channels * kernelSize * kernelSize, "weight must be [C, 1, K, K]")
    self.weight = weight
    self.weightGradient = weightGradient
    self.channels = channels
    self.kernelSize = kernelSize
    bias = nil
    packed = FloatBuffer(count: weight.count)
    refresh()
  }

  /// An inference layer: `weights` `[C, 1, K, K]` packed, `bias` `[C]` kept.
  public init(packing weights: [Float], bias: [Float], channels: Int, kernelSize: Int) {
    weight = nil
    weightGradient = nil
    self.channels = channels
    self.kernelSize = kernelSize
    self.bias = FloatBuffer(bias)
    packed = FloatBuffer(
      weights.withUnsafeBufferPointer {
        DepthwiseConvolution.packWeights(
          fromPyTorch: $0, channels: channels, kernelHeight: kernelSize, kernelWidth: kernelSize)
      })
  }

  /// Repacks the current weights after an update (no allocation).
  public func refresh() {
    guard let weight else { return }
    DepthwiseConvolution.packWeights(
      fromPyTorch: weight.readable, channels: channels, kernelHeight: kernelSize, kernelWidth: kernelSize,
      into: packed.buffer)
  }

  /// `y = act(conv(x) + b)`; also sums each output channel per image when `channelSums` is given.
  ///
  /// - Parameters:
  ///   - input: `x` `[N, H, W, C]`.
  ///   - batch: N.
  ///   - geometry: the convolution's sizes and padding.
  ///   - activation: applied after the bias.
  ///   - output: `y` `[N, OH, OW, C]`.
  ///   - channelSums: `[N, C]` sums of `y` (for squeeze-and-excitation), or nil.
  ///   - pool: the threads to use.
  public func forward(
    input: UnsafeBufferPointer<Float>, batch: Int, geometry: ConvolutionGeometry, activation: Activation,
    output: UnsafeMutableBufferPointer<Float>, channelSums: UnsafeMutablePointer<Float>? = nil,
    pool: ComputePool
  ) {
    DepthwiseConvolution.convolve(
      input: input, batch: batch, channels: channels, geometry: geometry, weights: packed.readable,
      bias: bias?.readable, activation: activation, output: output, channelSums: channelSums, pool: pool)
  }

  /// `expansion` (a 1×1 layer with its activation) then this convolution, band by band, so the
  /// expanded tensor never exists whole (the same numbers as running them one after the other).
  ///
  /// - Parameters:
  ///   - input: the expansion's input `[N, H, W, Cin]`.
  ///   - expansion: the folded 1×1 expansion `Cin → C`.
  ///   - scratch: ``DepthwiseConvolution/fusedScratchPerTask(geometry:channels:)`` floats per task.
  ///   - other parameters: as ``forward(input:batch:geometry:activation:output:channelSums:pool:)``.
  public func forward(
    expanding input: UnsafePointer<Float>, batch: Int, with expansion: PointwiseLayer,
    geometry: ConvolutionGeometry, activation: Activation, output: UnsafeMutableBufferPointer<Float>,
    channelSums: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    DepthwiseConvolution.expandAndConvolve(
      input: input, batch: batch, inputChannels: expansion.inputCount, expansion: expansion.packed,
      expansionBias: expansion.bias.map { UnsafePointer($0.pointer) }, channels: channels, geometry: geometry,
      weights: packed.readable, bias: bias?.readable, activation: activation, output: output,
      channelSums: channelSums, scratch: scratch, pool: pool)
  }

  /// Gradients of the unbiased, unactivated forward: `dX` (overwritten) and `dW += …`.
  ///
  /// - Parameters:
  ///   - input: the forward input `x` `[N, H, W, C]`.
  ///   - batch: N.
  ///   - geometry: the forward geometry.
  ///   - outputGradient: `dY` `[N, OH, OW, C]`.
  ///   - inputGradient: `dX` `[N, H, W, C]`.
  ///   - pool: the threads to use.
  public func backward(
    input: UnsafePointer<Float>, batch: Int, geometry: ConvolutionGeometry,
    outputGradient: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    guard let weight, let weightGradient else { preconditionFailure("an inference layer has no gradient") }
    let gradient = UnsafeBufferPointer(
      start: outputGradient, count: batch * geometry.outputHeight * geometry.outputWidth * channels)
    let inputCount = batch * geometry.inputHeight * geometry.inputWidth * channels
    DepthwiseConvolutionBackward.inputGradient(
      outputGradient: gradient, batch: batch, channels: channels, geometry: geometry,
      weights: weight.readable,
      inputGradient: UnsafeMutableBufferPointer(start: inputGradient, count: inputCount), accumulate: false,
      pool: pool)
    DepthwiseConvolutionBackward.weightGradient(
      outputGradient: gradient, input: UnsafeBufferPointer(start: input, count: inputCount), batch: batch,
      channels: channels, geometry: geometry, weightGradient: weightGradient.buffer, biasGradient: nil,
      accumulate: true, pool: pool)
  }
}
