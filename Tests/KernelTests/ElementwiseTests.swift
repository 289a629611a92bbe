import EfficientNetKernels
import XCTest

final class ElementwiseTests: XCTestCase {
  private typealias Support = ConvolutionTestSupport
  private let counts = [0, 1, 7, 8, 9, 33, 100_003]

  func testApplyActivationMatchesScalarReference() {
    for activation in Activation.allCases {
      for (index, count) in counts.enumerated() {
        let values = Support.randomValues(count: count, seed: UInt64(index), scale: 12)
        var expected = values
        var actual = values
        expected.withUnsafeMutableBufferPointer { Elementwise.applyActivationReference(activation, to: $0) }
        actual.withUnsafeMutableBufferPointer {
          Elementwise.applyActivation(activation, to: $0, pool: ComputePool(threadCount: 2))
        }
        Support.assertClose(actual, expected, "\(activation) count=\(count)")
      }
    }
  }

  func testAddMatchesReference() {
    for (index, count) in counts.enumerated() {
      let other = Support.randomValues(count: count, seed: UInt64(100 + index))
      var expected = Support.randomValues(count: count, seed: UInt64(200 + index))
      var actual = expected
      other.withUnsafeBufferPointer { other in
        expected.withUnsafeMutableBufferPointer { Elementwise.addReference(other, into: $0) }
        actual.withUnsafeMutableBufferPointer {
          Elementwise.add(other, into: $0, pool: ComputePool(threadCount: 2))
        }
      }
      XCTAssertEqual(actual, expected, "count=\(count)")
    }
    var small: [Float] = [1, 2, 3]
    [Float]([10, 20, 30]).withUnsafeBufferPointer { other in
      small.withUnsafeMutableBufferPointer { Elementwise.add(other, into: $0) }
    }
    XCTAssertEqual(small, [11, 22, 33])
  }

  func testScaleChannelsMatchesReferenceAndKnownValues() {
    for batch in [1, 3] {
      for pixels in [1, 7, 49, 2_000] {
        for channels in [1, 7, 8, 9, 17, 33] {
          let seed = UInt64(batch * 10_000 + pixels * 100 + channels)
          let scales = Support.randomValues(count: batch * channels, seed: seed)
          var expected = Support.randomValues(count: batch * pixels * channels, seed: seed &+ 1)
          var actual = expected
          scales.withUnsafeBufferPointer { scales in
            expected.withUnsafeMutableBufferPointer {
              Elementwise.scaleChannelsReference(
                $0, batch: batch, pixels: pixels, channels: channels, scales: scales)
            }
            actual.withUnsafeMutableBufferPointer {
              Elementwise.scaleChannels(
                $0, batch: batch, pixels: pixels, channels: channels, scales: scales,
                pool: ComputePool(threadCount: 2))
            }
          }
          XCTAssertEqual(actual, expected, "N=\(batch) P=\(pixels) C=\(channels)")
        }
      }
    }
    // Image 0 scales (2, 10), image 1 scales (-1, 0.5); one pixel each.
    var values: [Float] = [1, 1, 4, 4]
    [Float]([2, 10, -1, 0.5]).withUnsafeBufferPointer { scales in
      values.withUnsafeMutableBufferPointer {
        Elementwise.scaleChannels($0, batch: 2, pixels: 1, channels: 2, scales: scales)
      }
    }
    XCTAssertEqual(values, [2, 10, -4, 2])
  }

  func testOutOfPlaceActivationAndScalingMatchInPlace() {
    let pool = ComputePool(threadCount: 2)
    for activation in Activation.allCases {
      for (index, count) in counts.enumerated() {
        let source = Support.randomValues(count: count, seed: UInt64(300 + index), scale: 12)
        var expected = source
        var actual = [Float](repeating: .nan, count: count)
        expected.withUnsafeMutableBufferPointer { Elementwise.applyActivationReference(activation, to: $0) }
        source.withUnsafeBufferPointer { source in
          actual.withUnsafeMutableBufferPointer {
            Elementwise.applyActivation(activation, from: source, to: $0, pool: pool)
          }
        }
        Support.assertClose(actual, expected, "\(activation) count=\(count)")
      }
    }
    for (batch, pixels, channels) in [(1, 1, 1), (2, 7, 9), (3, 2_000, 17)] {
      let seed = UInt64(batch * 10_000 + pixels * 100 + channels)
      let scales = Support.randomValues(count: batch * channels, seed: seed)
      let source = Support.randomValues(count: batch * pixels * channels, seed: seed &+ 1)
      var expected = source
      var actual = [Float](repeating: .nan, count: source.count)
      scales.withUnsafeBufferPointer { scales in
        expected.withUnsafeMutableBufferPointer {
          Elementwise.scaleChannelsReference(
            $0, batch: batch, pixels: pixels, channels: channels, scales: scales)
        }
        source.withUnsafeBufferPointer { source in
          actual.withUnsafeMutableBufferPointer {
            Elementwise.scaleChannels(
              of: source, into: $0, batch: batch, pixels: pixels, channels: channels, scales: scales,
              pool: pool)
          }
        }
      }
      XCTAssertEqual(actual, expected, "N=\(batch) P=\(pixels) C=\(channels)")
    }
  }

  func testScaleImagesMatchesReferenceAndKnownValues() {
    let pool = ComputePool(threadCount: 2)
    // Image sizes that do and do not fill whole vectors, and parallel ranges that cut images.
    for (batch, perImage) in [(1, 1), (3, 5), (2, 8), (4, 9), (5, 30_001)] {
      let count = batch * perImage
      let values = Support.randomValues(count: count, seed: UInt64(count))
      let addend = Support.randomValues(count: count, seed: UInt64(count) &+ 1)
      let scales = (0..<batch).map { Float($0 % 3) * 0.75 }  // 0, 0.75, 1.5, 0, …
      for useScales in [false, true] {
        for useAddend in [false, true] {
          var expected = [Float](repeating: .nan, count: count)
          var actual = expected
          values.withUnsafeBufferPointer { values in
            scales.withUnsafeBufferPointer { scales in
              addend.withUnsafeBufferPointer { addend in
                expected.withUnsafeMutableBufferPointer {
                  Elementwise.scaleImagesReference(
                    values, perImage: perImage, scales: useScales ? scales : nil,
                    adding: useAddend ? addend : nil, into: $0)
                }
                actual.withUnsafeMutableBufferPointer {
                  Elementwise.scaleImages(
                    values, perImage: perImage, scales: useScales ? scales : nil,
                    adding: useAddend ? addend : nil, into: $0, pool: pool)
                }
              }
            }
          }
          XCTAssertEqual(actual, expected, "N=\(batch) per image \(perImage) \(useScales) \(useAddend)")
        }
      }
    }
    // Two images of two values: scales 2 and 0, plus 1.
    var output = [Float](repeating: .nan, count: 4)
    [Float]([1, 2, 3, 4]).withUnsafeBufferPointer { values in
      [Float]([2, 0]).withUnsafeBufferPointer { scales in
        [Float]([1, 1, 1, 1]).withUnsafeBufferPointer { addend in
          output.withUnsafeMutableBufferPointer {
            Elementwise.scaleImages(values, perImage: 2, scales: scales, adding: addend, into: $0)
          }
        }
      }
    }
    XCTAssertEqual(output, [3, 5, 1, 1])
  }

  func testSoftmaxMatchesReferenceAndSumsToOne() {
    for rows in [1, 3] {
      for columns in [1, 7, 8, 9, 17, 1000] {
        let logits = Support.randomValues(
          count: rows * columns, seed: UInt64(rows * 5000 + columns), scale: 30)
        var expected = logits
        var actual = logits
        expected.withUnsafeMutableBufferPointer {
          Softmax.softmaxRowsReference($0, rows: rows, columns: columns)
        }
        actual.withUnsafeMutableBufferPointer {
          Softmax.softmaxRows($0, rows: rows, columns: columns, pool: ComputePool(threadCount: 2))
        }
        Support.assertClose(actual, expected, "softmax \(rows)x\(columns)")
        for row in 0..<rows {
          let total = actual[(row * columns)..<((row + 1) * columns)].reduce(0, +)
          XCTAssertEqual(total, 1, accuracy: 1e-5, "row \(row) of \(rows)x\(columns)")
        }
      }
    }
  }

  func testSoftmaxOfKnownValuesAndOfHugeLogits() {
    // softmax(1, 2, 3) = e^k / (e + e² + e³); logits near 1000 must not overflow.
    var values: [Float] = [1, 2, 3, 1000, 1000, 999]
    values.withUnsafeMutableBufferPointer { Softmax.softmaxRows($0, rows: 2, columns: 3) }
    let expected: [Float] = [0.090_030_57, 0.244_728_47, 0.665_240_96, 0.422_318_7, 0.422_318_7, 0.155_362_6]
    Support.assertClose(values, expected, "known softmax")
  }

  func testSqueezeExcitationGateMatchesReference() {
    var seed: UInt64 = 3
    for batch in [1, 3] {
      for (channels, reduced) in [(1, 1), (7, 2), (16, 4), (33, 9), (96, 4), (1152, 48)] {
        for activation in [Activation.silu, .relu] {
          for scale: Float in [1, 1.0 / 49] {
            seed &+= 5
            let pooled = Support.randomValues(count: batch * channels, seed: seed, scale: 3)
            // Weights at the usual 1/sqrt(fan-in) scale keep every pre-activation of order 1.
            let reduceWeights = Support.randomValues(
              count: reduced * channels, seed: seed &+ 1, scale: 1 / Float(channels).squareRoot())
            let reduceBias = Support.randomValues(count: reduced, seed: seed &+ 2)
            let expandWeights = Support.randomValues(
              count: channels * reduced, seed: seed &+ 3, scale: 1 / Float(reduced).squareRoot())
            let expandBias = Support.randomValues(count: channels, seed: seed &+ 4)
            var expected = [Float](repeating: .nan, count: batch * channels)
            var actual = expected
            pooled.withUnsafeBufferPointer { pooled in
              reduceWeights.withUnsafeBufferPointer { rw in
                reduceBias.withUnsafeBufferPointer { rb in
                  expandWeights.withUnsafeBufferPointer { ew in
                    expandBias.withUnsafeBufferPointer { eb in
                      expected.withUnsafeMutableBufferPointer {
                        SqueezeExcitation.gateReference(
                          pooled: pooled, batch: batch, channels: channels, reducedChannels: reduced,
                          reduceWeights: rw, reduceBias: rb, activation: activation, expandWeights: ew,
                          expandBias: eb, inputScale: scale, gate: $0)
                      }
                      actual.withUnsafeMutableBufferPointer {
                        SqueezeExcitation.gate(
                          pooled: pooled, batch: batch, channels: channels, reducedChannels: reduced,
                          reduceWeights: rw, reduceBias: rb, activation: activation, expandWeights: ew,
                          expandBias: eb, inputScale: scale, gate: $0, pool: ComputePool(threadCount: 2))
                      }
                    }
                  }
                }
              }
            }
            Support.assertClose(actual, expected, "SE N=\(batch) C=\(channels) R=\(reduced) \(activation)")
          }
        }
      }
    }
  }

  func testSqueezeExcitationGateOfKnownValues() {
    // C = 2, R = 1: hidden = relu(1·1 + 1·2) = 3; gate = sigmoid(+3), sigmoid(-3).
    var gate: [Float] = [0, 0]
    [Float]([1, 2]).withUnsafeBufferPointer { pooled in
      [Float]([1, 1]).withUnsafeBufferPointer { reduce in
        [Float]([1, -1]).withUnsafeBufferPointer { expand in
          gate.withUnsafeMutableBufferPointer {
            SqueezeExcitation.gate(
              pooled: pooled, batch: 1, channels: 2, reducedChannels: 1, reduceWeights: reduce,
              reduceBias: nil, activation: .relu, expandWeights: expand, expandBias: nil, gate: $0)
          }
        }
      }
    }
    Support.assertClose(gate, [0.952_574_13, 0.047_425_873], "known gate")
  }
}

/// The vector finiteness check agrees with `isFinite` on every value, wherever a bad value sits.
final class FiniteCheckTests: XCTestCase {
  func testAllFiniteFindsEveryNonFiniteValueAtEveryPosition() {
    for count in [0, 1, 7, 8, 9, 17, 64] {
      var values = (0..<count).map { Float($0) * 1e36 - 3e37 }  // large but finite
      values.withUnsafeBufferPointer { XCTAssertTrue(Elementwise.allFinite($0), "count \(count)") }
      for position in 0..<count {
        for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
          let saved = values[position]
          values[position] = bad
          values.withUnsafeBufferPointer {
            XCTAssertFalse(Elementwise.allFinite($0), "\(bad) at \(position) of \(count)")
          }
          values[position] = saved
        }
      }
    }
    let extremes: [Float] = [
      .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0,
    ]
    extremes.withUnsafeBufferPointer { XCTAssertTrue(Elementwise.allFinite($0)) }
  }
}
