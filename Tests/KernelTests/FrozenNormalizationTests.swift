import EfficientNetKernels
import XCTest

/// `BatchNormalization.frozenForward` and `frozenBackward` (batch norm with the running statistics,
/// for fine-tuning) against their naive twins, finite differences, the thread count, and the
/// training pass's arithmetic they replace.
final class FrozenNormalizationTests: XCTestCase {
  typealias Support = BackwardTestSupport

  /// The (rows, channels) the comparisons sweep: one row and one channel, odd counts, and both sides
  /// of the 16-channel blocks and the 8-lane vectors.
  static let awkwardShapes: [(Int, Int)] = [1, 2, 3, 5, 17].flatMap { rows in
    [1, 7, 8, 9, 15, 16, 17, 33].map { (rows, $0) }
  }

  /// Random inputs for one layer; the variances are positive and the epsilon is not a `Float`.
  struct Layer {
    var rows: Int
    var channels: Int
    var x: [Float]
    var gamma: [Float]
    var beta: [Float]
    var runningMean: [Float]
    var runningVariance: [Float]
    var dY: [Float]
    var epsilon = 1e-3

    init(rows: Int, channels: Int, seed: UInt64) {
      self.rows = rows
      self.channels = channels
      x = Support.random(rows * channels, seed: seed, scale: 2).map { $0 + 1 }
      gamma = Support.random(channels, seed: seed + 1).map { $0 + 1.5 }
      beta = Support.random(channels, seed: seed + 2)
      runningMean = Support.random(channels, seed: seed + 3)
      runningVariance = Support.random(channels, seed: seed + 4).map { $0 * $0 + 0.25 }
      dY = Support.random(rows * channels, seed: seed + 5)
    }
  }

  struct Saved {
    var y: [Float]
    var mean: [Float]
    var inverse: [Float]
  }

  struct Gradients {
    var dX: [Float]
    var dGamma: [Float]
    var dBeta: [Float]
  }

  /// Asserts that two sets of gradients agree to the bit.
  func assertSameBits(
    _ actual: Gradients, _ expected: Gradients, _ label: String, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    Support.assertSameBits(actual.dX, expected.dX, "dX " + label, file: file, line: line)
    Support.assertSameBits(actual.dGamma, expected.dGamma, "dγ " + label, file: file, line: line)
    Support.assertSameBits(actual.dBeta, expected.dBeta, "dβ " + label, file: file, line: line)
  }

  /// The frozen forward pass, fast (on `threads` threads) or naive.
  func forward(_ layer: Layer, reference: Bool = false, threads: Int = 1) -> Saved {
    let c = layer.channels
    var saved = Saved(
      y: [Float](repeating: .nan, count: layer.x.count), mean: [Float](repeating: .nan, count: c),
      inverse: [Float](repeating: .nan, count: c))
    layer.x.readBuffer { x in
      layer.gamma.readBuffer { gamma in
        layer.beta.readBuffer { beta in
          layer.runningMean.readBuffer { mean in
            layer.runningVariance.readBuffer { variance in
              saved.y.writeBuffer { y in
                saved.mean.writeBuffer { savedMean in
                  saved.inverse.writeBuffer { inverse in
                    if reference {
                      BatchNormalization.frozenForwardReference(
                        input: x, rows: layer.rows, channels: c, scale: gamma, shift: beta, runningMean: mean,
                        runningVariance: variance, epsilon: layer.epsilon, output: y, savedMean: savedMean,
                        savedInverseStandardDeviation: inverse)
                    } else {
                      BatchNormalization.frozenForward(
                        input: x, rows: layer.rows, channels: c, scale: gamma, shift: beta, runningMean: mean,
                        runningVariance: variance, epsilon: layer.epsilon, output: y, savedMean: savedMean,
                        savedInverseStandardDeviation: inverse, pool: ComputePool(threadCount: threads))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return saved
  }

  /// The frozen backward pass, fast or naive; with `start`, every gradient starts at that value and
  /// is accumulated into; with `withInput == false`, `dX` is not asked for (and stays NaN).
  func backward(
    _ layer: Layer, saved: Saved, reference: Bool = false, threads: Int = 1, start: Float? = nil,
    withInput: Bool = true
  ) -> Gradients {
    let accumulate = start != nil
    var dX = [Float](repeating: start ?? .nan, count: layer.x.count)
    var dGamma = [Float](repeating: start ?? .nan, count: layer.channels)
    var dBeta = dGamma
    layer.x.readBuffer { x in
      layer.dY.readBuffer { dY in
        layer.gamma.readBuffer { gamma in
          saved.mean.readBuffer { mean in
            saved.inverse.readBuffer { inverse in
              dX.writeBuffer { dX in
                dGamma.writeBuffer { dGamma in
                  dBeta.writeBuffer { dBeta in
                    let inputGradient = withInput ? dX : nil
                    if reference {
                      BatchNormalization.frozenBackwardReference(
                        outputGradient: dY, input: x, rows: layer.rows, channels: layer.channels,
                        scale: gamma,
                        savedMean: mean, savedInverseStandardDeviation: inverse, inputGradient: inputGradient,
                        accumulateInput: accumulate, scaleGradient: dGamma, shiftGradient: dBeta,
                        accumulateParameters: accumulate)
                    } else {
                      BatchNormalization.frozenBackward(
                        outputGradient: dY, input: x, rows: layer.rows, channels: layer.channels,
                        scale: gamma,
                        savedMean: mean, savedInverseStandardDeviation: inverse, inputGradient: inputGradient,
                        accumulateInput: accumulate, scaleGradient: dGamma, shiftGradient: dBeta,
                        accumulateParameters: accumulate, pool: ComputePool(threadCount: threads))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return Gradients(dX: dX, dGamma: dGamma, dBeta: dBeta)
  }

  func testFastPassesMatchTwinsAtAwkwardSizes() {
    for (index, (rows, channels)) in Self.awkwardShapes.enumerated() {
      let layer = Layer(rows: rows, channels: channels, seed: UInt64(9000 + index * 10))
      let label = "M=\(rows) C=\(channels)"
      let expected = forward(layer, reference: true)
      let actual = forward(layer, threads: 3)
      Support.assertClose(actual.y, expected.y, "y " + label)
      XCTAssertEqual(actual.mean, layer.runningMean, "saved mean " + label)
      Support.assertSameBits(actual.inverse, expected.inverse, "inverse " + label)
      // The backward twin does the same arithmetic, so the bits agree.
      for (start, withInput) in [(nil, true), (0.75, true), (nil, false), (-2.5, false)] as [(Float?, Bool)] {
        let variant = label + " start \(start.map { "\($0)" } ?? "none") dX \(withInput)"
        assertSameBits(
          backward(layer, saved: actual, threads: 3, start: start, withInput: withInput),
          backward(layer, saved: actual, reference: true, start: start, withInput: withInput), variant)
      }
    }
  }

  func testGradientsMatchFiniteDifferencesOfTheFrozenForward() {
    for (index, (rows, channels)) in [(1, 1), (2, 15), (5, 16), (3, 17), (7, 9)].enumerated() {
      let layer = Layer(rows: rows, channels: channels, seed: UInt64(9500 + index * 10))
      let gradients = backward(layer, saved: forward(layer))
      let (mean, variance) = (layer.runningMean.map(Double.init), layer.runningVariance.map(Double.init))
      func loss(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
        var total = 0.0
        for m in 0..<rows {
          for c in 0..<channels {
            let normalized = (x[m * channels + c] - mean[c]) / (variance[c] + layer.epsilon).squareRoot()
            total += Double(layer.dY[m * channels + c]) * (gamma[c] * normalized + beta[c])
          }
        }
        return total
      }
      Support.assertLayerGradients(
        dX: gradients.dX, dW: gradients.dGamma,
        db: gradients.dBeta, x: layer.x, w: layer.gamma, b: layer.beta,
        "M=\(rows) C=\(channels)", loss: loss)
    }
  }

  func testResultsDoNotDependOnTheThreadCount() {
    // Shapes large enough that every pass splits: several row ranges and several channel blocks.
    for (index, (rows, channels)) in [(4000, 17), (1500, 50), (700, 129), (3, 70)].enumerated() {
      let layer = Layer(rows: rows, channels: channels, seed: UInt64(9800 + index * 10))
      let saved = forward(layer)
      let gradients = backward(layer, saved: saved)
      let accumulated = backward(layer, saved: saved, start: 0.5)
      for threads in [2, 3, 8] {
        let label = "M=\(rows) C=\(channels) on \(threads) threads"
        let other = forward(layer, threads: threads)
        Support.assertSameBits(other.y, saved.y, "y " + label)
        assertSameBits(backward(layer, saved: saved, threads: threads), gradients, label)
        assertSameBits(backward(layer, saved: saved, threads: threads, start: 0.5), accumulated, label)
      }
    }
  }

  func testInPlacePassesGiveTheSameValues() {
    let layer = Layer(rows: 37, channels: 19, seed: 9900)
    let saved = forward(layer)
    let expected = backward(layer, saved: saved)
    // y over x.
    var y = layer.x
    var mean = [Float](repeating: 0, count: layer.channels)
    var inverse = mean
    layer.gamma.readBuffer { gamma in
      layer.beta.readBuffer { beta in
        layer.runningMean.readBuffer { runningMean in
          layer.runningVariance.readBuffer { variance in
            mean.writeBuffer { mean in
              inverse.writeBuffer { inverse in
                y.writeBuffer { y in
                  BatchNormalization.frozenForward(
                    input: UnsafeBufferPointer(y), rows: layer.rows, channels: layer.channels, scale: gamma,
                    shift: beta, runningMean: runningMean, runningVariance: variance, epsilon: layer.epsilon,
                    output: y, savedMean: mean, savedInverseStandardDeviation: inverse,
                    pool: ComputePool(threadCount: 2))
                }
              }
            }
          }
        }
      }
    }
    Support.assertSameBits(y, saved.y, "y over x")
    // dX over dY.
    var gradient = layer.dY
    var dGamma = [Float](repeating: 0, count: layer.channels)
    var dBeta = dGamma
    layer.x.readBuffer { x in
      layer.gamma.readBuffer { gamma in
        saved.mean.readBuffer { mean in
          saved.inverse.readBuffer { inverse in
            dGamma.writeBuffer { dGamma in
              dBeta.writeBuffer { dBeta in
                gradient.writeBuffer { dX in
                  BatchNormalization.frozenBackward(
                    outputGradient: UnsafeBufferPointer(dX), input: x, rows: layer.rows,
                    channels: layer.channels, scale: gamma, savedMean: mean,
                    savedInverseStandardDeviation: inverse, inputGradient: dX, accumulateInput: false,
                    scaleGradient: dGamma, shiftGradient: dBeta, accumulateParameters: false,
                    pool: ComputePool(threadCount: 2))
                }
              }
            }
          }
        }
      }
    }
    assertSameBits(Gradients(dX: gradient, dGamma: dGamma, dBeta: dBeta), expected, "dX over dY")
  }

  func testActivatedOutputEqualsVectorActivationOfTheOutput() {
    for (index, (rows, channels)) in [(1, 1), (5, 13), (300, 33)].enumerated() {
      var layer = Layer(rows: rows, channels: channels, seed: UInt64(9950 + index * 10))
      layer.x = layer.x.map { $0 * 3 - 2 }
      let plain = forward(layer)
      for activation in Activation.allCases {
        var y = [Float](repeating: .nan, count: layer.x.count)
        var activated = y
        var statistics = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
        layer.x.readBuffer { x in
          layer.gamma.readBuffer { gamma in
            layer.beta.readBuffer { beta in
              layer.runningMean.readBuffer { mean in
                layer.runningVariance.readBuffer { variance in
                  y.writeBuffer { y in
                    activated.writeBuffer { activated in
                      statistics.0.writeBuffer { savedMean in
                        statistics.1.writeBuffer { inverse in
                          BatchNormalization.frozenForward(
                            input: x, rows: rows, channels: channels, scale: gamma, shift: beta,
                            runningMean: mean, runningVariance: variance, epsilon: layer.epsilon, output: y,
                            savedMean: savedMean, savedInverseStandardDeviation: inverse,
                            activation: activation, activatedOutput: activated,
                            pool: ComputePool(threadCount: 2))
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
        let label = "\(activation) M=\(rows) C=\(channels)"
        Support.assertSameBits(y, plain.y, "y, " + label)
        Support.assertSameBits(
          activated, plain.y.map { activation.apply(SIMD8<Float>(repeating: $0))[0] }, "activated, " + label)
      }
    }
  }

  func testNoRowsGiveZeroParameterGradientsOrLeaveThemAlone() {
    let layer = Layer(rows: 0, channels: 9, seed: 9990)
    let saved = forward(layer)
    XCTAssertEqual(saved.mean, layer.runningMean)
    let zeros = [Float](repeating: 0, count: 9)
    assertSameBits(backward(layer, saved: saved), Gradients(dX: [], dGamma: zeros, dBeta: zeros), "no rows")
    let kept = [Float](repeating: 0.25, count: 9)
    assertSameBits(
      backward(layer, saved: saved, start: 0.25), Gradients(dX: [], dGamma: kept, dBeta: kept),
      "no rows, accumulating")
  }
}
