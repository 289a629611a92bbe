import EfficientNetKernels
import Foundation

extension TrainingOps {
  // MARK: Batch norm with frozen statistics (fine-tuning)

  /// Batch norm with the running statistics, which stay as they are (PyTorch's `eval()` batch norm):
  /// `y = (x − μ)·γ/√(σ² + ε) + β`; saves `μ` and `1/√(σ² + ε)` for ``frozenBatchNormBackward``.
  static func frozenBatchNormForward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, epsilon: Double, runningMean: UnsafePointer<Float>,
    runningVariance: UnsafePointer<Float>, savedMean: UnsafeMutablePointer<Float>,
    savedInverseDeviation: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    for channel in 0..<channels {
      savedMean[channel] = runningMean[channel]
      savedInverseDeviation[channel] = Float(1 / (Double(runningVariance[channel]) + epsilon).squareRoot())
    }
    let count = positions * channels
    BatchNormalization.inferenceForward(
      input: UnsafeBufferPointer(start: x, count: count), rows: positions, channels: channels,
      scale: UnsafeBufferPointer(start: gamma, count: channels),
      shift: UnsafeBufferPointer(start: beta, count: channels),
      runningMean: UnsafeBufferPointer(start: runningMean, count: channels),
      runningVariance: UnsafeBufferPointer(start: runningVariance, count: channels), epsilon: Float(epsilon),
      output: UnsafeMutableBufferPointer(start: y, count: count), pool: pool)
  }

  /// Backward of ``frozenBatchNormForward``: the statistics are constants, so `dX = dY·γ/σ`
  /// (overwritten), `dγ += Σ dY·x̂` and `dβ += Σ dY` with `x̂ = (x − μ)/σ`.
  ///
  /// The parameter sums run over fixed blocks of channels (each summed over rows in order in `Double`),
  /// so the result does not depend on the thread count.
  static func frozenBatchNormBackward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    savedMean: UnsafePointer<Float>, savedInverseDeviation: UnsafePointer<Float>,
    outputGradient dY: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>,
    gammaGradient: UnsafeMutablePointer<Float>, betaGradient: UnsafeMutablePointer<Float>, pool: ComputePool
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
