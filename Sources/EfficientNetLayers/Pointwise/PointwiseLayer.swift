import EfficientNetCore
import EfficientNetKernels

/// A 1×1 convolution or linear layer, `y[M, N] = x[M, K] · Wᵀ + b` with `W` `[N, K]` (PyTorch's
/// layout) over NHWC rows: forward through the packed ``GEMM``, backward through ``LinearBackward``.
///
/// A trainable layer keeps `W` (updated in place by the optimizer, repacked by ``refresh()``), its
/// gradients and its packing; a folded inference layer (batch norm folded in, see
/// ``BatchNormFolding``) keeps only the packing and the bias.
public final class PointwiseLayer {
  /// `W` `[N, K]`; nil in an inference-only layer.
  public let weight: FloatBuffer?
  /// `b` `[N]`; nil when the layer has none.
  public let bias: FloatBuffer?
  /// `dW` `[N, K]` and `db` `[N]`, accumulated by ``backward(input:rows:outputGradient:inputGradient:pool:)``.
  public let weightGradient: FloatBuffer?, biasGradient: FloatBuffer?
  /// `W` packed for ``GEMM``; nil in a layer kept unpacked (squeeze-and-excitation at inference,
  /// whose gate kernel reads `W` directly).
  public let packedWeights: PackedWeights?
  /// K and N.
  public let inputCount: Int, outputCount: Int

  /// A trainable layer over parameter buffers (`W` `[N, K]`, optional `b` `[N]` and gradients).
  public init(
    weight: FloatBuffer, bias: FloatBuffer?, outputCount: Int, weightGradient: FloatBuffer?,
    biasGradient: FloatBuffer?
  ) {
    precondition(outputCount > 0 && weight.count % outputCount == 0, "weight must be [N, K]")
    self.weight = weight
    self.bias = bias
    self.weightGradient = weightGradient
    self.biasGradient = biasGradient
    self.outputCount = outputCount
    inputCount = weight.count / outputCount
    packedWeights = PackedWeights(
      outputMajor: weight.readable, outputCount: outputCount, inputCount: inputCount)
  }

  /// An inference layer kept unpacked: `W` `[N, K]` and `b` `[N]` as given, no gradients.
  public init(unpacked weight: FloatBuffer, bias: FloatBuffer?, outputCount: Int) {
    precondition(outputCount > 0 && weight.count % outputCount == 0, "weight must be [N, K]")
    self.weight = weight
    self.bias = bias
    weightGradient = nil
    biasGradient = nil
    self.outputCount = outputCount
    inputCount = weight.count / outputCount
    packedWeights = nil
  }

  /// An inference layer: `weights` `[N, K]` packed, `bias` `[N]` kept; the weights are not kept.
  public init(packing weights: [Float], bias: [Float], outputCount: Int) {
    precondition(outputCount > 0 && weights.count % outputCount == 0, "weights must be [N, K]")
    weight = nil
    weightGradient = nil
    biasGradient = nil
    self.bias = FloatBuffer(bias)
    self.outputCount = outputCount
    inputCount = weights.count / outputCount
    packedWeights = weights.withUnsafeBufferPointer {
      PackedWeights(outputMajor: $0, outputCount: outputCount, inputCount: weights.count / outputCount)
    }
  }

  /// Repacks the current weights after an update (no allocation).
  public func refresh() {
    guard let weight, let packedWeights else { return }
    packedWeights.repack(outputMajor: weight.readable)
  }

  /// The packed weights (which a layer used in a product has).
  public var packed: PackedWeights {
    guard let packedWeights else { preconditionFailure("an unpacked layer has no GEMM form") }
    return packedWeights
  }

  /// `y = act(x · Wᵀ + b) (+ residual)`, optionally with `x` scaled per input channel.
  ///
  /// - Parameters:
  ///   - input: `x`, `rows` rows of `inputRowStride` floats (K used).
  ///   - rows: M.
  ///   - inputScale: per-channel factors `[K]` applied to `x` (squeeze-and-excitation's gate), or nil.
  ///   - activation: applied after the bias.
  ///   - residual: added after the activation, `rows` rows of `outputRowStride`, or nil.
  ///   - output: `y`, `rows` rows of `outputRowStride` floats (N written).
  ///   - pool: the threads to use.
  public func forward(
    input: UnsafePointer<Float>, rows: Int, inputRowStride: Int? = nil,
    inputScale: UnsafePointer<Float>? = nil,
    activation: Activation = .identity, residual: UnsafePointer<Float>? = nil,
    output: UnsafeMutablePointer<Float>, outputRowStride: Int? = nil, pool: ComputePool
  ) {
    GEMM.multiply(
      rows: rows, input: input, inputRowStride: inputRowStride ?? inputCount, inputScale: inputScale,
      weights: packed, bias: bias.map { UnsafePointer($0.pointer) }, activation: activation,
      residual: residual,
      residualRowStride: residual == nil ? 0 : outputRowStride ?? outputCount, output: output,
      outputRowStride: outputRowStride ?? outputCount, pool: pool)
  }

  /// Gradients of ``forward(input:rows:inputRowStride:inputScale:activation:residual:output:outputRowStride:pool:)``
  /// without scale, activation or residual: `dX = dY · W` (overwritten, when asked for),
  /// `dW += dYᵀ · X`, `db += Σ_m dY`.
  ///
  /// - Parameters:
  ///   - input: the forward input `x` `[M, K]`.
  ///   - rows: M.
  ///   - outputGradient: `dY` `[M, N]`.
  ///   - inputGradient: `dX` `[M, K]`, or nil when not needed.
  ///   - pool: the threads to use.
  public func backward(
    input: UnsafePointer<Float>, rows: Int, outputGradient: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>?, pool: ComputePool
  ) {
    guard let weightGradient else { preconditionFailure("an inference layer has no gradient") }
    let gradient = UnsafeBufferPointer(start: outputGradient, count: rows * outputCount)
    if let inputGradient {
      inputBackward(outputGradient: outputGradient, rows: rows, inputGradient: inputGradient, pool: pool)
    }
    LinearBackward.weightGradient(
      outputGradient: gradient, input: UnsafeBufferPointer(start: input, count: rows * inputCount),
      rows: rows,
      outputCount: outputCount, inputCount: inputCount, weightGradient: weightGradient.buffer,
      accumulate: true,
      pool: pool)
    if let biasGradient {
      LinearBackward.biasGradient(
        outputGradient: gradient, rows: rows, outputCount: outputCount, biasGradient: biasGradient.buffer,
        accumulate: true, pool: pool)
    }
  }

  /// `dX = dY · W` (overwritten): the input gradient alone, for a layer without gradients of its own.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY` `[M, N]`.
  ///   - rows: M.
  ///   - inputGradient: `dX` `[M, K]`.
  ///   - pool: the threads to use.
  public func inputBackward(
    outputGradient: UnsafePointer<Float>, rows: Int, inputGradient: UnsafeMutablePointer<Float>,
    pool: ComputePool
  ) {
    guard let weight else { preconditionFailure("a packed-only layer keeps no weights to differentiate") }
    LinearBackward.inputGradient(
      outputGradient: UnsafeBufferPointer(start: outputGradient, count: rows * outputCount), rows: rows,
      outputCount: outputCount, inputCount: inputCount, weights: weight.readable,
      inputGradient: UnsafeMutableBufferPointer(start: inputGradient, count: rows * inputCount),
      accumulate: false, pool: pool)
  }
}
