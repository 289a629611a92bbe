import EfficientNetKernels
import XCTest

final class BackwardElementwiseTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private func scaleChannels(
    x: [Float], s: [Float], dY: [Float], batch: Int, pixels: Int, channels: Int, reference: Bool,
    threads: Int = 1, start: Float? = nil
  ) -> (dX: [Float], ds: [Float]) {
    var dX = [Float](repeating: start ?? .nan, count: x.count)
    var ds = [Float](repeating: start ?? .nan, count: s.count)
    let accumulate = start != nil
    x.readBuffer { x in
      s.readBuffer { s in
        dY.readBuffer { dY in
          dX.writeBuffer { dX in
            ds.writeBuffer { ds in
              if reference {
                SqueezeExcitationBackward.scaleChannelsBackwardReference(
                  input: x, scales: s, outputGradient: dY, batch: batch, pixels: pixels, channels: channels,
                  inputGradient: dX, accumulateInput: accumulate, scaleGradient: ds,
                  accumulateScale: accumulate)
              } else {
                SqueezeExcitationBackward.scaleChannelsBackward(
                  input: x, scales: s, outputGradient: dY, batch: batch, pixels: pixels, channels: channels,
                  inputGradient: dX, accumulateInput: accumulate, scaleGradient: ds,
                  accumulateScale: accumulate,
                  pool: ComputePool(threadCount: threads))
              }
            }
          }
        }
      }
    }
    return (dX, ds)
  }

  private func poolBackward(
    dY: [Float], batch: Int, pixels: Int, channels: Int, reference: Bool, threads: Int = 1,
    start: Float? = nil
  ) -> [Float] {
    var dX = [Float](repeating: start ?? .nan, count: batch * pixels * channels)
    dY.readBuffer { dY in
      dX.writeBuffer { dX in
        if reference {
          Pooling.globalAveragePoolBackwardReference(
            outputGradient: dY, batch: batch, pixels: pixels, channels: channels, inputGradient: dX,
            accumulate: start != nil)
        } else {
          Pooling.globalAveragePoolBackward(
            outputGradient: dY, batch: batch, pixels: pixels, channels: channels, inputGradient: dX,
            accumulate: start != nil, pool: ComputePool(threadCount: threads))
        }
      }
    }
    return dX
  }

  func testChannelScaleAndPoolGradientsMatchFiniteDifferences() {
    for (index, (batch, pixels, channels)) in [(1, 1, 1), (3, 5, 7), (1, 9, 8), (3, 4, 9), (1, 3, 17)]
      .enumerated()
    {
      let seed = UInt64(9000 + index * 10)
      let x = Support.random(batch * pixels * channels, seed: seed)
      let s = Support.random(batch * channels, seed: seed + 1)
      let r = Support.random(x.count, seed: seed + 2)
      let fast = scaleChannels(
        x: x, s: s, dY: r, batch: batch, pixels: pixels, channels: channels, reference: false)
      func scaled(_ x: [Double], _ s: [Double]) -> [Double] {
        x.indices.map { x[$0] * s[$0 / (pixels * channels) * channels + $0 % channels] }
      }
      let (xd, sd) = (x.map(Double.init), s.map(Double.init))
      let label = "N=\(batch) P=\(pixels) C=\(channels)"
      var indices = Support.sampleIndices(x.count)
      Support.assertGradient(
        fast.dX, Support.numericGradient(at: x, indices: indices) { Support.dot(r, scaled($0, sd)) },
        indices: indices, "scale dX " + label)
      indices = Support.sampleIndices(s.count)
      Support.assertGradient(
        fast.ds, Support.numericGradient(at: s, indices: indices) { Support.dot(r, scaled(xd, $0)) },
        indices: indices, "scale ds " + label)

      // Pooling: L = Σ R[n, c] · mean_p X[n, p, c].
      let pooledWeights = Support.random(batch * channels, seed: seed + 3)
      let dX = poolBackward(
        dY: pooledWeights, batch: batch, pixels: pixels, channels: channels, reference: false)
      indices = Support.sampleIndices(x.count)
      let numeric = Support.numericGradient(at: x, indices: indices) { values in
        var total = 0.0
        for (index, value) in values.enumerated() {
          let image = index / (pixels * channels)
          total += Double(pooledWeights[image * channels + index % channels]) * value / Double(pixels)
        }
        return total
      }
      Support.assertGradient(dX, numeric, indices: indices, "pool dX " + label)
    }
  }

  func testChannelScaleAndPoolMatchTwinsAndDoNotDependOnThreads() {
    let shapes = [(1, 1, 1), (3, 7, 9), (2, 513, 8), (1, 1100, 17), (3, 49, 33)]
    for (index, (batch, pixels, channels)) in shapes.enumerated() {
      let seed = UInt64(9100 + index * 10)
      let x = Support.random(batch * pixels * channels, seed: seed)
      let s = Support.random(batch * channels, seed: seed + 1)
      let dY = Support.random(x.count, seed: seed + 2)
      let start: Float? = index % 2 == 0 ? nil : -1
      let label = "N=\(batch) P=\(pixels) C=\(channels)"
      let expected = scaleChannels(
        x: x, s: s, dY: dY, batch: batch, pixels: pixels, channels: channels, reference: true, start: start)
      let single = scaleChannels(
        x: x, s: s, dY: dY, batch: batch, pixels: pixels, channels: channels, reference: false, start: start)
      let double = scaleChannels(
        x: x, s: s, dY: dY, batch: batch, pixels: pixels, channels: channels, reference: false, threads: 2,
        start: start)
      Support.assertClose(single.dX, expected.dX, "scale dX " + label)
      Support.assertClose(single.ds, expected.ds, "scale ds " + label)
      XCTAssertEqual(double.ds, single.ds, "ds independent of threads, " + label)
      XCTAssertEqual(double.dX, single.dX, "dX independent of threads, " + label)
      let pooled = Array(dY[0..<(batch * channels)])
      let poolExpected = poolBackward(
        dY: pooled, batch: batch, pixels: pixels, channels: channels, reference: true, start: start)
      for threads in [1, 2] {
        let poolActual = poolBackward(
          dY: pooled, batch: batch, pixels: pixels, channels: channels, reference: false, threads: threads,
          start: start)
        Support.assertClose(poolActual, poolExpected, "pool dX \(label) threads=\(threads)")
      }
    }
  }

  func testGradientArithmeticMatchesTwins() {
    for (index, count) in [0, 1, 7, 8, 9, 17, 40_000, 100_003].enumerated() {
      let a = Support.random(count, seed: UInt64(9300 + index))
      var scaled = a
      var zeroed = a
      scaled.writeBuffer { GradientArithmetic.scale($0, by: 3) }
      zeroed.writeBuffer { GradientArithmetic.fillWithZeros($0) }
      Support.assertClose(scaled, a.map { $0 * 3 }, relative: 1e-6, "scale count=\(count)")
      XCTAssertEqual(zeroed, [Float](repeating: 0, count: count))
      let expected = a.readBuffer { GradientArithmetic.sumOfSquaresReference($0) }
      let single = a.readBuffer { GradientArithmetic.sumOfSquares($0, pool: ComputePool(threadCount: 1)) }
      let double = a.readBuffer { GradientArithmetic.sumOfSquares($0, pool: ComputePool(threadCount: 2)) }
      XCTAssertEqual(single, expected, accuracy: 1e-5 * max(1, expected), "count=\(count)")
      XCTAssertEqual(double, single, "sum of squares independent of threads, count=\(count)")
    }
    let hand: [Float] = [3, 4, -12]
    XCTAssertEqual(hand.readBuffer { GradientArithmetic.sumOfSquares($0) }, 169)
  }
}
