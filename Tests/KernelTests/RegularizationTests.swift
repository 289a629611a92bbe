import EfficientNetKernels
import EfficientNetTestSupport
import XCTest

/// Dropout and drop path: the masks, the factors of kept values, and the `keepScale:` overloads
/// that reproduce a caller's factor computed in `Double` to the bit.
final class RegularizationTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  /// A 0/1 mask with about `1 − rate` ones.
  private func mask(_ count: Int, rate: Double, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Double.random(in: 0..<1, using: &generator) >= rate ? 1 : 0 }
  }

  func testDropoutScalesKeptValuesAndItsBackwardUsesTheSameMask() {
    let x: [Float] = (1...11).map(Float.init)
    let keep: [Float] = [1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1]
    var y = [Float](repeating: .nan, count: x.count)
    var expected = y
    var dX = [Float](repeating: 1, count: x.count)
    x.readBuffer { x in
      keep.readBuffer { keep in
        y.writeBuffer { Dropout.forward(input: x, keep: keep, dropProbability: 0.2, output: $0) }
        expected.writeBuffer {
          Dropout.forwardReference(input: x, keep: keep, dropProbability: 0.2, output: $0)
        }
        dX.writeBuffer {
          Dropout.backward(
            outputGradient: x, keep: keep, dropProbability: 0.2, inputGradient: $0, accumulate: true)
        }
      }
    }
    // Kept values are divided by 1 − p = 0.8.
    let hand = zip(x, keep).map { $1 == 0 ? 0 : $0 / 0.8 }
    Support.assertClose(y, hand, relative: 1e-6, "dropout forward")
    Support.assertClose(expected, hand, relative: 1e-6, "dropout twin")
    // The forward map is linear with slope keep/(1 − p), so dX (+)= dY · keep / 0.8.
    Support.assertClose(dX, hand.map { $0 + 1 }, relative: 1e-6, "dropout backward, accumulated")
    XCTAssertEqual(Dropout.keepScale(dropProbability: 1), 0)
    XCTAssertEqual(Dropout.keepScale(dropProbability: 0), 1)
  }

  func testDropPathKeepsOrDropsWholeSamplesAndFusesTheResidual() {
    let (batch, size) = (3, 13)
    let branch = Support.random(batch * size, seed: 9200)
    let shortcut = Support.random(batch * size, seed: 9201)
    let keep: [Float] = [1, 0, 1]
    var fused = shortcut
    var twin = shortcut
    var gradient = [Float](repeating: .nan, count: branch.count)
    branch.readBuffer { branch in
      keep.readBuffer { keep in
        fused.writeBuffer {
          DropPath.forward(
            input: branch, batch: batch, keep: keep, dropProbability: 0.25, output: $0, accumulate: true,
            pool: ComputePool(threadCount: 2))
        }
        twin.writeBuffer {
          DropPath.forwardReference(
            input: branch, batch: batch, keep: keep, dropProbability: 0.25, output: $0, accumulate: true)
        }
        gradient.writeBuffer {
          DropPath.backward(
            outputGradient: branch, batch: batch, keep: keep, dropProbability: 0.25, inputGradient: $0,
            accumulate: false)
        }
      }
    }
    for index in 0..<branch.count {
      let kept = keep[index / size] == 1
      XCTAssertEqual(fused[index], shortcut[index] + (kept ? branch[index] / 0.75 : 0), accuracy: 1e-6)
      XCTAssertEqual(gradient[index], kept ? branch[index] / 0.75 : 0, accuracy: 1e-6)
    }
    Support.assertClose(fused, twin, relative: 1e-6, "drop path twin")
  }

  func testKeepScaleInFloatCanDifferInTheLastBitFromTheRoundedDoubleScale() {
    // 0.2·12/16 is the drop-path rate of EfficientNet-B0's block 12.
    for rate in [0.15, 0.025, 0.2 * 12 / 16] {
      XCTAssertEqual(Dropout.roundedKeepScale(dropProbability: rate), Float(1 / (1 - rate)), "\(rate)")
      XCTAssertNotEqual(
        Dropout.keepScale(dropProbability: Float(rate)), Dropout.roundedKeepScale(dropProbability: rate),
        "\(rate)")
    }
    XCTAssertEqual(Dropout.roundedKeepScale(dropProbability: 0), 1)
    XCTAssertEqual(Dropout.roundedKeepScale(dropProbability: 0.5), 2)
    XCTAssertEqual(Dropout.roundedKeepScale(dropProbability: 1), 0)
  }

  /// With the factor given, dropout is `x · m` for the mask of factors `m = keep ? s : 0` (how the
  /// training pass applies it), to the bit, in place and on any number of threads.
  func testDropoutWithAGivenScaleMatchesTheMaskOfFactorsToTheBit() {
    for (index, count) in [1, 7, 8, 9, 33, 100_003].enumerated() {
      for rate in [0.15, 0.025] {
        let scale = Dropout.roundedKeepScale(dropProbability: rate)
        let x = Support.random(count, seed: UInt64(9600 + index), scale: 3)
        let keep = mask(count, rate: rate, seed: UInt64(9700 + index))
        let expected = zip(x, keep).map { $0 * ($1 == 1 ? scale : 0) }
        for threads in [1, 3] {
          let label = "n=\(count) p=\(rate) on \(threads) threads"
          var y = [Float](repeating: .nan, count: count)
          var gradient = x
          var twin = y
          var fromProbability = y
          x.readBuffer { x in
            keep.readBuffer { keep in
              y.writeBuffer {
                Dropout.forward(
                  input: x, keep: keep, keepScale: scale, output: $0, pool: ComputePool(threadCount: threads))
              }
              twin.writeBuffer {
                Dropout.forwardReference(input: x, keep: keep, keepScale: scale, output: $0)
              }
              fromProbability.writeBuffer {
                Dropout.forward(
                  input: x, keep: keep, dropProbability: Float(rate), output: $0,
                  pool: ComputePool(threadCount: threads))
              }
              gradient.writeBuffer {
                Dropout.backward(
                  outputGradient: UnsafeBufferPointer($0), keep: keep, keepScale: scale, inputGradient: $0,
                  accumulate: false, pool: ComputePool(threadCount: threads))
              }
            }
          }
          Support.assertSameBits(y, expected, "forward " + label)
          Support.assertSameBits(twin, expected, "twin " + label)
          Support.assertSameBits(gradient, expected, "backward in place " + label)
          // The probability overload is the same kernel with the Float factor.
          let floatScale = Dropout.keepScale(dropProbability: Float(rate))
          Support.assertSameBits(
            fromProbability, zip(x, keep).map { $0 * $1 * floatScale }, "probability overload " + label)
        }
      }
    }
  }

  /// With the factor given, drop path is `Elementwise.scaleImages` with the factors `keep[n] · s`
  /// (how the training pass applies it), to the bit: the fused residual forward and the backward.
  func testDropPathWithAGivenScaleMatchesScaleImagesToTheBit() {
    for (index, (batch, size)) in [(1, 1), (3, 13), (4, 9), (5, 40_000)].enumerated() {
      let rate = 0.15
      let scale = Dropout.roundedKeepScale(dropProbability: rate)
      let branch = Support.random(batch * size, seed: UInt64(9800 + index), scale: 3)
      let shortcut = Support.random(batch * size, seed: UInt64(9850 + index))
      var keep = mask(batch, rate: 0.5, seed: UInt64(9900 + index))
      keep[0] = 0
      let factors = keep.map { $0 * scale }
      for threads in [1, 3] {
        let label = "N=\(batch) S=\(size) on \(threads) threads"
        var fused = shortcut
        var twin = shortcut
        var gradient = [Float](repeating: .nan, count: branch.count)
        var expected = (forward: gradient, backward: gradient)
        branch.readBuffer { branch in
          keep.readBuffer { keep in
            fused.writeBuffer {
              DropPath.forward(
                input: branch, batch: batch, keep: keep, keepScale: scale, output: $0, accumulate: true,
                pool: ComputePool(threadCount: threads))
            }
            twin.writeBuffer {
              DropPath.forwardReference(
                input: branch, batch: batch, keep: keep, keepScale: scale, output: $0, accumulate: true)
            }
            gradient.writeBuffer {
              DropPath.backward(
                outputGradient: branch, batch: batch, keep: keep, keepScale: scale, inputGradient: $0,
                accumulate: false, pool: ComputePool(threadCount: threads))
            }
          }
          factors.readBuffer { factors in
            shortcut.readBuffer { shortcut in
              expected.forward.writeBuffer {
                Elementwise.scaleImages(
                  branch, perImage: size, scales: factors, adding: shortcut, into: $0,
                  pool: ComputePool(threadCount: threads))
              }
            }
            expected.backward.writeBuffer {
              Elementwise.scaleImages(
                branch, perImage: size, scales: factors, adding: nil, into: $0,
                pool: ComputePool(threadCount: threads))
            }
          }
        }
        Support.assertSameBits(fused, expected.forward, "forward " + label)
        Support.assertSameBits(twin, expected.forward, "twin " + label)
        Support.assertSameBits(gradient, expected.backward, "backward " + label)
      }
    }
  }
}
