import EfficientNetKernels
import XCTest

final class BackwardNormalizationTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private struct Forward {
    var y: [Float]
    var mean: [Float]
    var inverse: [Float]
    var runningMean: [Float]
    var runningVariance: [Float]
  }

  /// The training forward pass, fast or naive, with running statistics starting at `running`.
  private func forward(
    x: [Float], rows: Int, channels: Int, gamma: [Float], beta: [Float], epsilon: Float = 1e-5,
    running: ([Float], [Float])? = nil, momentum: Float = 0.1, reference: Bool, threads: Int = 1
  ) -> Forward {
    var result = Forward(
      y: [Float](repeating: .nan, count: x.count), mean: [Float](repeating: .nan, count: channels),
      inverse: [Float](repeating: .nan, count: channels),
      runningMean: running?.0 ?? [Float](repeating: 0, count: channels),
      runningVariance: running?.1 ?? [Float](repeating: 1, count: channels))
    x.readBuffer { x in
      gamma.readBuffer { gamma in
        beta.readBuffer { beta in
          result.y.writeBuffer { y in
            result.mean.writeBuffer { mean in
              result.inverse.writeBuffer { inverse in
                result.runningMean.writeBuffer { runningMean in
                  result.runningVariance.writeBuffer { runningVariance in
                    if reference {
                      BatchNormalization.trainingForwardReference(
                        input: x, rows: rows, channels: channels, scale: gamma, shift: beta, epsilon: epsilon,
                        output: y, savedMean: mean, savedInverseStandardDeviation: inverse,
                        runningMean: runningMean,
                        runningVariance: runningVariance, momentum: momentum)
                    } else {
                      BatchNormalization.trainingForward(
                        input: x, rows: rows, channels: channels, scale: gamma, shift: beta, epsilon: epsilon,
                        output: y, savedMean: mean, savedInverseStandardDeviation: inverse,
                        runningMean: runningMean,
                        runningVariance: runningVariance, momentum: momentum,
                        pool: ComputePool(threadCount: threads))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return result
  }

  /// The backward pass, fast or naive, from the saved statistics of `saved`.
  private func backward(
    x: [Float], dY: [Float], rows: Int, channels: Int, gamma: [Float], saved: Forward, reference: Bool,
    threads: Int = 1, start: Float? = nil
  ) -> (dX: [Float], dGamma: [Float], dBeta: [Float]) {
    let accumulate = start != nil
    var dX = [Float](repeating: start ?? .nan, count: x.count)
    var dGamma = [Float](repeating: start ?? .nan, count: channels)
    var dBeta = [Float](repeating: start ?? .nan, count: channels)
    x.readBuffer { x in
      dY.readBuffer { dY in
        gamma.readBuffer { gamma in
          saved.mean.readBuffer { mean in
            saved.inverse.readBuffer { inverse in
              dX.writeBuffer { dX in
                dGamma.writeBuffer { dGamma in
                  dBeta.writeBuffer { dBeta in
                    if reference {
                      BatchNormalization.backwardReference(
                        outputGradient: dY, input: x, rows: rows, channels: channels, scale: gamma,
                        savedMean: mean,
                        savedInverseStandardDeviation: inverse, inputGradient: dX,
                        accumulateInput: accumulate,
                        scaleGradient: dGamma, shiftGradient: dBeta, accumulateParameters: accumulate)
                    } else {
                      BatchNormalization.backward(
                        outputGradient: dY, input: x, rows: rows, channels: channels, scale: gamma,
                        savedMean: mean,
                        savedInverseStandardDeviation: inverse, inputGradient: dX,
                        accumulateInput: accumulate,
                        scaleGradient: dGamma, shiftGradient: dBeta, accumulateParameters: accumulate,
                        pool: ComputePool(threadCount: threads))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (dX, dGamma, dBeta)
  }

  /// `y = γ·(x − μ)/√(σ² + ε) + β` per channel over the rows, in `Double`.
  private func normalized(
    x: [Double], gamma: [Double], beta: [Double], rows: Int, channels: Int, epsilon: Double
  )
    -> [Double]
  {
    var y = [Double](repeating: 0, count: x.count)
    for c in 0..<channels {
      let column = (0..<rows).map { x[$0 * channels + c] }
      let mean = column.reduce(0, +) / Double(rows)
      let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
      for m in 0..<rows {
        y[m * channels + c] = gamma[c] * (column[m] - mean) / (variance + epsilon).squareRoot() + beta[c]
      }
    }
    return y
  }

  func testBatchStatisticsAndRunningUpdateMatchHandComputation() {
    // Channel 0 holds 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
    // Channel 1 holds 0, 0, 0, 8: mean 2, biased variance 12, unbiased 16.
    let x: [Float] = [1, 0, 2, 0, 3, 0, 4, 8]
    let result = forward(
      x: x, rows: 4, channels: 2, gamma: [2, 1], beta: [0.5, -1], epsilon: 1e-5, running: ([0, 10], [1, 4]),
      momentum: 0.1, reference: false)
    XCTAssertEqual(result.mean[0], 2.5, accuracy: 1e-6)
    XCTAssertEqual(result.mean[1], 2, accuracy: 1e-6)
    XCTAssertEqual(result.inverse[0], Float(1 / (1.25 + 1e-5).squareRoot()), accuracy: 1e-6)
    XCTAssertEqual(result.inverse[1], Float(1 / (12 + 1e-5).squareRoot()), accuracy: 1e-6)
    // running = 0.9·running + 0.1·batch, with the unbiased variance.
    XCTAssertEqual(result.runningMean[0], 0.25, accuracy: 1e-6)
    XCTAssertEqual(result.runningMean[1], 9.2, accuracy: 1e-5)
    XCTAssertEqual(result.runningVariance[0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
    XCTAssertEqual(result.runningVariance[1], 3.6 + 1.6, accuracy: 1e-5)
    // y = γ·(x − μ)·inverse + β.
    let inverse0 = 1 / (1.25 + 1e-5).squareRoot()
    XCTAssertEqual(result.y[0], Float(2 * -1.5 * inverse0 + 0.5), accuracy: 1e-5)
    XCTAssertEqual(result.y[6], Float(2 * 1.5 * inverse0 + 0.5), accuracy: 1e-5)
    XCTAssertEqual(result.y[7], Float(6 / (12 + 1e-5).squareRoot() - 1), accuracy: 1e-5)
  }

  func testGradientsMatchFiniteDifferencesOfTheNormalizedOutput() {
    for (index, (rows, channels)) in [(2, 1), (5, 7), (12, 8), (9, 9), (6, 17)].enumerated() {
      let seed = UInt64(4000 + index * 10)
      // An offset mean and uneven scales, so centering matters.
      let x = Support.random(rows * channels, seed: seed, scale: 2).map { $0 + 3 }
      let gamma = Support.random(channels, seed: seed + 1).map { $0 + 1.5 }
      let beta = Support.random(channels, seed: seed + 2)
      let r = Support.random(rows * channels, seed: seed + 3)
      let epsilon: Float = 1e-3
      let saved = forward(
        x: x, rows: rows, channels: channels, gamma: gamma, beta: beta, epsilon: epsilon, reference: false)
      let fast = backward(
        x: x, dY: r, rows: rows, channels: channels, gamma: gamma, saved: saved, reference: false)
      let (xd, gd, bd) = (x.map(Double.init), gamma.map(Double.init), beta.map(Double.init))
      func loss(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
        Support.dot(
          r,
          normalized(x: x, gamma: gamma, beta: beta, rows: rows, channels: channels, epsilon: Double(epsilon))
        )
      }
      let label = "M=\(rows) C=\(channels)"
      var indices = Support.sampleIndices(x.count)
      Support.assertGradient(
        fast.dX, Support.numericGradient(at: x, indices: indices) { loss($0, gd, bd) }, indices: indices,
        "dX " + label)
      indices = Support.sampleIndices(channels)
      Support.assertGradient(
        fast.dGamma, Support.numericGradient(at: gamma, indices: indices) { loss(xd, $0, bd) },
        indices: indices,
        "dγ " + label)
      Support.assertGradient(
        fast.dBeta, Support.numericGradient(at: beta, indices: indices) { loss(xd, gd, $0) },
        indices: indices,
        "dβ " + label)
    }
  }

  func testFastPassesMatchTwinsAndDoNotDependOnThreads() {
    let shapes = [(2, 1), (7, 7), (513, 8), (1100, 9), (40, 17), (600, 33)]
    for (index, (rows, channels)) in shapes.enumerated() {
      let seed = UInt64(5000 + index * 10)
      let x = Support.random(rows * channels, seed: seed).map { $0 * 3 - 1 }
      let gamma = Support.random(channels, seed: seed + 1)
      let beta = Support.random(channels, seed: seed + 2)
      let dY = Support.random(rows * channels, seed: seed + 3)
      let running = (
        Support.random(channels, seed: seed + 4), Support.random(channels, seed: seed + 5).map { $0 + 2 }
      )
      let label = "M=\(rows) C=\(channels)"
      let expected = forward(
        x: x, rows: rows, channels: channels, gamma: gamma, beta: beta, running: running, reference: true)
      let single = forward(
        x: x, rows: rows, channels: channels, gamma: gamma, beta: beta, running: running, reference: false)
      let double = forward(
        x: x, rows: rows, channels: channels, gamma: gamma, beta: beta, running: running, reference: false,
        threads: 2)
      Support.assertClose(single.y, expected.y, "y " + label)
      Support.assertClose(single.mean, expected.mean, "mean " + label)
      Support.assertClose(single.inverse, expected.inverse, "inverse " + label)
      Support.assertClose(single.runningMean, expected.runningMean, "running mean " + label)
      Support.assertClose(single.runningVariance, expected.runningVariance, "running variance " + label)
      XCTAssertEqual(double.y, single.y, "y independent of threads, " + label)
      XCTAssertEqual(double.runningVariance, single.runningVariance, "running variance, " + label)

      let start: Float? = index % 2 == 0 ? nil : 0.75
      let backExpected = backward(
        x: x, dY: dY, rows: rows, channels: channels, gamma: gamma, saved: expected, reference: true,
        start: start)
      let backSingle = backward(
        x: x, dY: dY, rows: rows, channels: channels, gamma: gamma, saved: expected, reference: false,
        start: start)
      let backDouble = backward(
        x: x, dY: dY, rows: rows, channels: channels, gamma: gamma, saved: expected, reference: false,
        threads: 2,
        start: start)
      Support.assertClose(backSingle.dX, backExpected.dX, "dX " + label)
      Support.assertClose(backSingle.dGamma, backExpected.dGamma, "dγ " + label)
      Support.assertClose(backSingle.dBeta, backExpected.dBeta, "dβ " + label)
      XCTAssertEqual(backDouble.dX, backSingle.dX, "dX independent of threads, " + label)
      XCTAssertEqual(backDouble.dGamma, backSingle.dGamma, "dγ independent of threads, " + label)
    }
  }

  /// The activation applied in the normalization's last pass gives, to the bit, the vector activation
  /// of each `y`, and leaves `y` itself unchanged.
  func testActivatedOutputEqualsActivationOfTheOutput() {
    for (index, (rows, channels)) in [(2, 1), (513, 8), (1100, 9), (600, 33)].enumerated() {
      let seed = UInt64(7000 + index * 10)
      let x = Support.random(rows * channels, seed: seed).map { $0 * 6 - 3 }
      let gamma = Support.random(channels, seed: seed + 1).map { $0 * 4 }
      let beta = Support.random(channels, seed: seed + 2).map { $0 - 0.5 }
      let plain = forward(x: x, rows: rows, channels: channels, gamma: gamma, beta: beta, reference: false)
      for activation in Activation.allCases {
        var y = [Float](repeating: .nan, count: x.count)
        var activated = [Float](repeating: .nan, count: x.count)
        var saved = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
        x.readBuffer { x in
          gamma.readBuffer { gamma in
            beta.readBuffer { beta in
              y.writeBuffer { y in
                activated.writeBuffer { activated in
                  saved.0.writeBuffer { mean in
                    saved.1.writeBuffer { inverse in
                      BatchNormalization.trainingForward(
                        input: x, rows: rows, channels: channels, scale: gamma, shift: beta, epsilon: 1e-5,
                        output: y, savedMean: mean, savedInverseStandardDeviation: inverse, runningMean: nil,
                        runningVariance: nil, activation: activation, activatedOutput: activated,
                        pool: ComputePool(threadCount: 2))
                    }
                  }
                }
              }
            }
          }
        }
        let expected = plain.y.map { activation.apply(SIMD8<Float>(repeating: $0))[0] }
        let label = "\(activation) M=\(rows) C=\(channels)"
        XCTAssertEqual(y, plain.y, "y, " + label)
        XCTAssertEqual(activated, expected, "activated, " + label)
      }
    }
  }

  func testInferenceForwardMatchesTwinAndHandValue() {
    let (rows, channels) = (11, 9)
    let x = Support.random(rows * channels, seed: 61)
    let gamma = Support.random(channels, seed: 62)
    let beta = Support.random(channels, seed: 63)
    let mean = Support.random(channels, seed: 64)
    let variance = Support.random(channels, seed: 65).map { $0 + 1.5 }
    var actual = [Float](repeating: .nan, count: x.count)
    var expected = actual
    x.readBuffer { x in
      gamma.readBuffer { gamma in
        beta.readBuffer { beta in
          mean.readBuffer { mean in
            variance.readBuffer { variance in
              actual.writeBuffer {
                BatchNormalization.inferenceForward(
                  input: x, rows: rows, channels: channels, scale: gamma, shift: beta, runningMean: mean,
                  runningVariance: variance, epsilon: 1e-3, output: $0)
              }
              expected.writeBuffer {
                BatchNormalization.inferenceForwardReference(
                  input: x, rows: rows, channels: channels, scale: gamma, shift: beta, runningMean: mean,
                  runningVariance: variance, epsilon: 1e-3, output: $0)
              }
            }
          }
        }
      }
    }
    Support.assertClose(actual, expected, "inference")
    let hand =
      (Double(x[10]) - Double(mean[1])) * Double(gamma[1]) / (Double(variance[1]) + 1e-3).squareRoot()
    XCTAssertEqual(Double(actual[10]), hand + Double(beta[1]), accuracy: 1e-5)
  }
}
