extension GEMM {
  /// The naive triple loop ``multiply(rows:input:inputRowStride:inputScale:weights:bias:activation:residual:residualRowStride:output:outputRowStride:pool:)``
  /// is tested against; same semantics, with the weights unpacked.
  ///
  /// `C[m, n] = activation(Σ_k A[m, k] · scale[k] · W[n, k] + bias[n]) + residual[m, n]`, summing in
  /// `Double`, for `m` in `0..<M`, `n` in `0..<N`, `k` in `0..<K`.
  ///
  /// - Parameters:
  ///   - rows: `M`, the number of rows of `A` and `C` (at least 0).
  ///   - input: `A[M, K]`; row `m` starts at `input + m · inputRowStride`.
  ///   - inputRowStride: the distance in floats between rows of `A` (at least `K`).
  ///   - inputScale: `scale[K]`, a per-column factor of `A`, or `nil` for none.
  ///   - weights: `W[N, K]` row-major (PyTorch's `[out, in]`), that is `B[k, n] = W[n, k]`.
  ///   - outputCount: `N`.
  ///   - inputCount: `K`.
  ///   - bias: `bias[N]`, or `nil` for none.
  ///   - activation: applied after the bias, before the residual.
  ///   - residual: `R[M, N]` added after the activation, or `nil` for none.
  ///   - residualRowStride: the distance in floats between rows of `R`.
  ///   - output: `C[M, N]`.
  ///   - outputRowStride: the distance in floats between rows of `C` (at least `N`).
  public static func multiplyReference(
    rows: Int, input: UnsafePointer<Float>, inputRowStride: Int,
    inputScale: UnsafePointer<Float>?,
    weights: UnsafePointer<Float>, outputCount: Int, inputCount: Int,
    bias: UnsafePointer<Float>?, activation: Activation,
    residual: UnsafePointer<Float>?, residualRowStride: Int,
    output: UnsafeMutablePointer<Float>, outputRowStride: Int
  ) {
    for m in 0..<rows {
      let row = input + m * inputRowStride
      for n in 0..<outputCount {
        let weightRow = weights + n * inputCount
        var sum = 0.0
        for k in 0..<inputCount {
          let scaled = Double(row[k]) * Double(inputScale?[k] ?? 1)
          sum += scaled * Double(weightRow[k])
        }
        var value = activation.apply(Float(sum) + (bias?[n] ?? 0))
        if let residual {
          value += residual[m * residualRowStride + n]
        }
        output[m * outputRowStride + n] = value
      }
    }
  }
}
