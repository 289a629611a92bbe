import EfficientNetKernels

// Temporary: moves into EfficientNetKernels/BatchNormalization with its naive twin.
extension BatchNormalization {
  static func frozenForward(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, runningMean: UnsafeBufferPointer<Float>,
    runningVariance: UnsafeBufferPointer<Float>, epsilon: Double, output: UnsafeMutableBufferPointer<Float>,
    savedMean: UnsafeMutableBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool
  ) {
    for channel in 0..<channels {
      savedMean[channel] = runningMean[channel]
      savedInverseStandardDeviation[channel] = Float(
        1 / (Double(runningVariance[channel]) + epsilon).squareRoot())
    }
    inferenceForward(
      input: input, rows: rows, channels: channels, scale: scale, shift: shift, runningMean: runningMean,
      runningVariance: runningVariance, epsilon: Float(epsilon), output: output, pool: pool)
  }

  static func frozenBackward(
    outputGradient dY: UnsafeBufferPointer<Float>, input x: UnsafeBufferPointer<Float>, rows positions: Int,
    channels: Int, scale gamma: UnsafeBufferPointer<Float>, savedMean: UnsafeBufferPointer<Float>,
    savedInverseStandardDeviation savedInverseDeviation: UnsafeBufferPointer<Float>,
    inputGradient dX: UnsafeMutableBufferPointer<Float>,
    scaleGradient gammaGradient: UnsafeMutableBufferPointer<Float>,
    shiftGradient betaGradient: UnsafeMutableBufferPointer<Float>, accumulateParameters: Bool,
    pool: ComputePool
  ) {
    pool.parallelRanges(positions, grain: max(1, 16_384 / channels)) { rows in
      for row in rows {
        let offset = row * channels
        for channel in 0..<channels {
          dX[offset + channel] = dY[offset + channel] * gamma[channel] * savedInverseDeviation[channel]
        }
      }
    }
    let blockWidth = 16
    let blocks = (channels + blockWidth - 1) / blockWidth
    pool.parallelFor(blocks) { block in
      let first = block * blockWidth
      let last = min(channels, first + blockWidth)
      for channel in first..<last {
        var scaleSum = 0.0
        var shiftSum = 0.0
        let mean = savedMean[channel]
        let inverse = savedInverseDeviation[channel]
        for row in 0..<positions {
          let index = row * channels + channel
          let gradient = Double(dY[index])
          scaleSum += gradient * Double((x[index] - mean) * inverse)
          shiftSum += gradient
        }
        gammaGradient[channel] += Float(scaleSum)
        betaGradient[channel] += Float(shiftSum)
      }
    }
  }
}
