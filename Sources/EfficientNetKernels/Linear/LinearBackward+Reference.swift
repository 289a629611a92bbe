extension LinearBackward {
  /// The naive twin of ``inputGradient(outputGradient:rows:outputCount:inputCount:weights:inputGradient:accumulate:pool:)``:
  /// `dX[m, k] (+)= Σ_n dY[m, n] · W[n, k]`, summed in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - rows: M.
  ///   - outputCount: N.
  ///   - inputCount: K.
  ///   - weights: `W[N, K]`.
  ///   - inputGradient: `dX[M, K]`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  public static func inputGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, rows: Int, outputCount: Int, inputCount: Int,
    weights: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    let (n, k) = (outputCount, inputCount)
    precondition(outputGradient.count == rows * n && weights.count == n * k, "dY: [M, N], W: [N, K]")
    precondition(inputGradient.count == rows * k, "input gradient must be [M, K]")
    for m in 0..<rows {
      for column in 0..<k {
        var sum = accumulate ? Double(inputGradient[m * k + column]) : 0
        for output in 0..<n {
          sum += Double(outputGradient[m * n + output]) * Double(weights[output * k + column])
        }
        inputGradient[m * k + column] = Float(sum)
      }
    }
  }

  /// The naive twin of ``weightGradient(outputGradient:input:rows:outputCount:inputCount:weightGradient:accumulate:pool:)``:
  /// `dW[n, k] (+)= Σ_m dY[m, n] · X[m, k]`, summed in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - input: `X[M, K]`.
  ///   - rows: M.
  ///   - outputCount: N.
  ///   - inputCount: K.
  ///   - weightGradient: `dW[N, K]`.
  ///   - accumulate: add to `dW` instead of overwriting it.
  public static func weightGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int,
    outputCount: Int, inputCount: Int, weightGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    let (n, k) = (outputCount, inputCount)
    precondition(outputGradient.count == rows * n && input.count == rows * k, "dY: [M, N], X: [M, K]")
    precondition(weightGradient.count == n * k, "weight gradient must be [N, K]")
    for output in 0..<n {
      for column in 0..<k {
        var sum = accumulate ? Double(weightGradient[output * k + column]) : 0
        for m in 0..<rows {
          sum += Double(outputGradient[m * n + output]) * Double(input[m * k + column])
        }
        weightGradient[output * k + column] = Float(sum)
      }
    }
  }

  /// The naive twin of ``biasGradient(outputGradient:rows:outputCount:biasGradient:accumulate:pool:)``:
  /// `db[n] (+)= Σ_m dY[m, n]`, summed in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - rows: M.
  ///   - outputCount: N.
  ///   - biasGradient: `db[N]`.
  ///   - accumulate: add to `db` instead of overwriting it.
  public static func biasGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, rows: Int, outputCount: Int,
    biasGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    precondition(outputGradient.count == rows * outputCount, "output gradient must be [M, N]")
    precondition(biasGradient.count == outputCount, "bias gradient must be [N]")
    for output in 0..<outputCount {
      var sum = accumulate ? Double(biasGradient[output]) : 0
      for m in 0..<rows { sum += Double(outputGradient[m * outputCount + output]) }
      biasGradient[output] = Float(sum)
    }
  }
}
