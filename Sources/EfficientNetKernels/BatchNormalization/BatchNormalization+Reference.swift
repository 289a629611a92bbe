extension BatchNormalization {
  /// The naive twin of ``trainingForward(input:rows:channels:scale:shift:epsilon:output:savedMean:savedInverseStandardDeviation:runningMean:runningVariance:momentum:activation:activatedOutput:pool:)``:
  /// one channel at a time, statistics in `Double`.
  ///
  /// - Parameters:
  ///   - input: `x[M, C]`.
  ///   - rows: M (at least 2).
  ///   - channels: C.
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - epsilon: ε.
  ///   - output: `y[M, C]`.
  ///   - savedMean: `μ[C]`.
  ///   - savedInverseStandardDeviation: `1/√(σ² + ε)`, `[C]`.
  ///   - runningMean: `[C]` updated in place, or `nil`.
  ///   - runningVariance: `[C]` updated in place, or `nil`.
  ///   - momentum: the weight of the batch statistics.
  public static func trainingForwardReference(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, epsilon: Float, output: UnsafeMutableBufferPointer<Float>,
    savedMean: UnsafeMutableBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeMutableBufferPointer<Float>,
    runningMean: UnsafeMutableBufferPointer<Float>?, runningVariance: UnsafeMutableBufferPointer<Float>?,
    momentum: Float = 0.1
  ) {
    precondition(rows >= 2 && input.count == rows * channels && output.count == rows * channels, "[M, C]")
    for c in 0..<channels {
      var sum = 0.0
      for m in 0..<rows { sum += Double(input[m * channels + c]) }
      let mean = sum / Double(rows)
      var squares = 0.0
      for m in 0..<rows {
        let centered = Double(input[m * channels + c]) - mean
        squares += centered * centered
      }
      let variance = squares / Double(rows)
      let inverse = 1 / (variance + Double(epsilon)).squareRoot()
      savedMean[c] = Float(mean)
      savedInverseStandardDeviation[c] = Float(inverse)
      for m in 0..<rows {
        let normalized = (Double(input[m * channels + c]) - mean) * inverse
        output[m * channels + c] = Float(Double(scale[c]) * normalized + Double(shift[c]))
      }
      if let runningMean, let runningVariance {
        let weight = Double(momentum)
        runningMean[c] = Float((1 - weight) * Double(runningMean[c]) + weight * mean)
        let unbiased = squares / Double(rows - 1)
        runningVariance[c] = Float((1 - weight) * Double(runningVariance[c]) + weight * unbiased)
      }
    }
  }

  /// The naive twin of ``backward(outputGradient:input:rows:channels:scale:savedMean:savedInverseStandardDeviation:inputGradient:accumulateInput:scaleGradient:shiftGradient:accumulateParameters:pool:)``,
  /// in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, C]`.
  ///   - input: `x[M, C]`.
  ///   - rows: M.
  ///   - channels: C.
  ///   - scale: `γ[C]`.
  ///   - savedMean: `μ[C]`.
  ///   - savedInverseStandardDeviation: `[C]`.
  ///   - inputGradient: `dX[M, C]`, or `nil`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `dγ[C]`.
  ///   - shiftGradient: `dβ[C]`.
  ///   - accumulateParameters: add to `dγ` and `dβ` instead of overwriting them.
  public static func backwardReference(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int, channels: Int,
    scale: UnsafeBufferPointer<Float>, savedMean: UnsafeBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>?,
    accumulateInput: Bool, scaleGradient: UnsafeMutableBufferPointer<Float>,
    shiftGradient: UnsafeMutableBufferPointer<Float>, accumulateParameters: Bool
  ) {
    precondition(outputGradient.count == rows * channels && input.count == rows * channels, "[M, C]")
    for c in 0..<channels {
      let (mean, inverse) = (Double(savedMean[c]), Double(savedInverseStandardDeviation[c]))
      var (sumGradient, sumProduct) = (0.0, 0.0)
      for m in 0..<rows {
        let gradient = Double(outputGradient[m * channels + c])
        sumGradient += gradient
        sumProduct += gradient * (Double(input[m * channels + c]) - mean) * inverse
      }
      shiftGradient[c] = Float((accumulateParameters ? Double(shiftGradient[c]) : 0) + sumGradient)
      scaleGradient[c] = Float((accumulateParameters ? Double(scaleGradient[c]) : 0) + sumProduct)
      guard let inputGradient else { continue }
      let count = Double(rows)
      for m in 0..<rows {
        let index = m * channels + c
        let normalized = (Double(input[index]) - mean) * inverse
        let value =
          Double(scale[c]) * inverse
          * (Double(outputGradient[index]) - sumGradient / count - normalized * sumProduct / count)
        inputGradient[index] = Float((accumulateInput ? Double(inputGradient[index]) : 0) + value)
      }
    }
  }

  /// The naive twin of ``inferenceForward(input:rows:channels:scale:shift:runningMean:runningVariance:epsilon:output:pool:)``.
  ///
  /// - Parameters:
  ///   - input: `x[M, C]`.
  ///   - rows: M.
  ///   - channels: C.
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - runningMean: `[C]`.
  ///   - runningVariance: `[C]`.
  ///   - epsilon: ε.
  ///   - output: `y[M, C]`.
  public static func inferenceForwardReference(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, runningMean: UnsafeBufferPointer<Float>,
    runningVariance: UnsafeBufferPointer<Float>, epsilon: Float, output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(input.count == rows * channels && output.count == rows * channels, "[M, C]")
    for m in 0..<rows {
      for c in 0..<channels {
        let normalized =
          (Double(input[m * channels + c]) - Double(runningMean[c]))
          / (Double(runningVariance[c]) + Double(epsilon)).squareRoot()
        output[m * channels + c] = Float(Double(scale[c]) * normalized + Double(shift[c]))
      }
    }
  }

  /// The naive twin of ``frozenForward(input:rows:channels:scale:shift:runningMean:runningVariance:epsilon:output:savedMean:savedInverseStandardDeviation:activation:activatedOutput:pool:)``
  /// (without the activation): the saved statistics as there, `y` in `Double` with `Float(ε)`.
  ///
  /// - Parameters:
  ///   - input: `x[M, C]`.
  ///   - rows: M.
  ///   - channels: C.
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - runningMean: `[C]`.
  ///   - runningVariance: `[C]`.
  ///   - epsilon: ε.
  ///   - output: `y[M, C]`.
  ///   - savedMean: `[C]`, receives the running mean.
  ///   - savedInverseStandardDeviation: `[C]`, receives `1 / √(σ² + ε)`.
  public static func frozenForwardReference(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, runningMean: UnsafeBufferPointer<Float>,
    runningVariance: UnsafeBufferPointer<Float>, epsilon: Double, output: UnsafeMutableBufferPointer<Float>,
    savedMean: UnsafeMutableBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(savedMean.count == channels && savedInverseStandardDeviation.count == channels, "[C]")
    for c in 0..<channels {
      savedMean[c] = runningMean[c]
      savedInverseStandardDeviation[c] = Float(1 / (Double(runningVariance[c]) + epsilon).squareRoot())
    }
    inferenceForwardReference(
      input: input, rows: rows, channels: channels, scale: scale, shift: shift, runningMean: runningMean,
      runningVariance: runningVariance, epsilon: Float(epsilon), output: output)
  }

  /// The naive twin of ``frozenBackward(outputGradient:input:rows:channels:scale:savedMean:savedInverseStandardDeviation:inputGradient:accumulateInput:scaleGradient:shiftGradient:accumulateParameters:pool:)``:
  /// one channel at a time, with the same arithmetic (so the same bits).
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, C]`.
  ///   - input: `x[M, C]`.
  ///   - rows: M.
  ///   - channels: C.
  ///   - scale: `γ[C]`.
  ///   - savedMean: `μ[C]`.
  ///   - savedInverseStandardDeviation: `s[C]`.
  ///   - inputGradient: `dX[M, C]`, or `nil`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `dγ[C]`.
  ///   - shiftGradient: `dβ[C]`.
  ///   - accumulateParameters: add to `dγ` and `dβ` instead of overwriting them.
  public static func frozenBackwardReference(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int, channels: Int,
    scale: UnsafeBufferPointer<Float>, savedMean: UnsafeBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>?, accumulateInput: Bool,
    scaleGradient: UnsafeMutableBufferPointer<Float>, shiftGradient: UnsafeMutableBufferPointer<Float>,
    accumulateParameters: Bool
  ) {
    precondition(outputGradient.count == rows * channels && input.count == rows * channels, "[M, C]")
    for c in 0..<channels {
      let (mean, inverse) = (savedMean[c], savedInverseStandardDeviation[c])
      var (scaleSum, shiftSum) = (0.0, 0.0)
      for m in 0..<rows {
        let gradient = Double(outputGradient[m * channels + c])
        scaleSum += gradient * Double((input[m * channels + c] - mean) * inverse)
        shiftSum += gradient
      }
      scaleGradient[c] = accumulateParameters ? scaleGradient[c] + Float(scaleSum) : Float(scaleSum)
      shiftGradient[c] = accumulateParameters ? shiftGradient[c] + Float(shiftSum) : Float(shiftSum)
    }
    guard let inputGradient else { return }
    for m in 0..<rows {
      for c in 0..<channels {
        let index = m * channels + c
        let value = outputGradient[index] * scale[c] * savedInverseStandardDeviation[c]
        inputGradient[index] = accumulateInput ? inputGradient[index] + value : value
      }
    }
  }
}
