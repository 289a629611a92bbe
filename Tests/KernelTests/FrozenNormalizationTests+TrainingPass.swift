import EfficientNetKernels
import XCTest

/// The frozen batch norm of the training pass (`TrainingOps.frozenBatchNormForward` and
/// `frozenBatchNormBackward` in EfficientNetTraining, copied here as they were when the kernels
/// took their place) gives the kernels' values to the bit.
extension FrozenNormalizationTests {
  /// `TrainingOps.frozenBatchNormForward`, verbatim.
  private static func trainingForward(
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

  /// `TrainingOps.frozenBatchNormBackward`, verbatim: overwrites `dX`, adds to `dγ` and `dβ`.
  private static func trainingBackward(
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

  func testKernelsGiveTheTrainingPassValuesToTheBit() {
    let shapes = Self.awkwardShapes + [(4000, 17), (1500, 50), (700, 129)]
    for (index, (rows, channels)) in shapes.enumerated() {
      for epsilon in [1e-3, 1e-5] {
        var layer = Layer(rows: rows, channels: channels, seed: UInt64(8000 + index * 10))
        layer.epsilon = epsilon
        let threads = index % 3 + 1
        let label = "M=\(rows) C=\(channels) ε=\(epsilon) on \(threads) threads"
        let pool = ComputePool(threadCount: threads)
        let count = rows * channels
        var y = [Float](repeating: .nan, count: count)
        var mean = [Float](repeating: .nan, count: channels)
        var inverse = mean
        var dX = [Float](repeating: .nan, count: count)
        // The training pass adds to the parameter gradients: start both from earlier values.
        var dGamma = Support.random(channels, seed: UInt64(8500 + index))
        var dBeta = Support.random(channels, seed: UInt64(8600 + index))
        let start = (dGamma, dBeta)
        Self.trainingForward(
          layer.x, positions: rows, channels: channels, gamma: layer.gamma, beta: layer.beta,
          epsilon: epsilon, runningMean: layer.runningMean, runningVariance: layer.runningVariance,
          savedMean: &mean, savedInverseDeviation: &inverse, into: &y, pool: pool)
        Self.trainingBackward(
          layer.x, positions: rows, channels: channels, gamma: layer.gamma, savedMean: mean,
          savedInverseDeviation: inverse, outputGradient: layer.dY, inputGradient: &dX,
          gammaGradient: &dGamma,
          betaGradient: &dBeta, pool: pool)

        let saved = forward(layer, threads: threads)
        Support.assertSameBits(saved.y, y, "y " + label)
        Support.assertSameBits(saved.mean, mean, "mean " + label)
        Support.assertSameBits(saved.inverse, inverse, "inverse " + label)
        var kernel = (dX: [Float](repeating: 7, count: count), dGamma: start.0, dBeta: start.1)
        layer.x.readBuffer { x in
          layer.dY.readBuffer { dY in
            layer.gamma.readBuffer { gamma in
              saved.mean.readBuffer { mean in
                saved.inverse.readBuffer { inverse in
                  kernel.dX.writeBuffer { dX in
                    kernel.dGamma.writeBuffer { dGamma in
                      kernel.dBeta.writeBuffer { dBeta in
                        BatchNormalization.frozenBackward(
                          outputGradient: dY, input: x, rows: rows, channels: channels, scale: gamma,
                          savedMean: mean, savedInverseStandardDeviation: inverse, inputGradient: dX,
                          accumulateInput: false, scaleGradient: dGamma, shiftGradient: dBeta,
                          accumulateParameters: true, pool: pool)
                      }
                    }
                  }
                }
              }
            }
          }
        }
        assertSameBits(
          Gradients(dX: kernel.dX, dGamma: kernel.dGamma, dBeta: kernel.dBeta),
          Gradients(dX: dX, dGamma: dGamma, dBeta: dBeta), label)
      }
    }
  }
}
