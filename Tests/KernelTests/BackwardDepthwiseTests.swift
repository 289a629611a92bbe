import EfficientNetKernels
import XCTest

final class BackwardDepthwiseTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  /// dX, dW and db from the fast kernels (`reference == false`) or their twins.
  private func gradients(
    x: [Float], w: [Float], dY: [Float], batch: Int, channels: Int, geometry g: ConvolutionGeometry,
    reference: Bool, threads: Int = 1, start: Float? = nil
  ) -> Support.LayerGradients {
    let accumulate = start != nil
    var result: Support.LayerGradients = (
      dX: [Float](repeating: start ?? .nan, count: x.count),
      dW: [Float](repeating: start ?? .nan, count: w.count),
      db: [Float](repeating: start ?? .nan, count: channels)
    )
    let pool = ComputePool(threadCount: threads)
    dY.readBuffer { dY in
      w.readBuffer { w in
        result.dX.writeBuffer { dX in
          if reference {
            DepthwiseConvolutionBackward.inputGradientReference(
              outputGradient: dY, batch: batch, channels: channels, geometry: g, weights: w,
              inputGradient: dX,
              accumulate: accumulate)
          } else {
            DepthwiseConvolutionBackward.inputGradient(
              outputGradient: dY, batch: batch, channels: channels, geometry: g, weights: w,
              inputGradient: dX,
              accumulate: accumulate, pool: pool)
          }
        }
      }
      x.readBuffer { x in
        result.dW.writeBuffer { dW in
          result.db.writeBuffer { db in
            if reference {
              DepthwiseConvolutionBackward.weightGradientReference(
                outputGradient: dY, input: x, batch: batch, channels: channels, geometry: g,
                weightGradient: dW,
                biasGradient: db, accumulate: accumulate)
            } else {
              DepthwiseConvolutionBackward.weightGradient(
                outputGradient: dY, input: x, batch: batch, channels: channels, geometry: g,
                weightGradient: dW,
                biasGradient: db, accumulate: accumulate, pool: pool)
            }
          }
        }
      }
    }
    return result
  }

  func testGradientsMatchFiniteDifferencesOfTheForwardPass() {
    let channelCounts = [1, 7, 8, 9, 17]
    for (index, g) in Support.awkwardGeometries.enumerated() {
      let channels = channelCounts[index % channelCounts.count]
      let batch = index % 2 == 0 ? 1 : 3
      let seed = UInt64(index * 10)
      let x = Support.random(batch * g.inputHeight * g.inputWidth * channels, seed: seed)
      let w = Support.random(channels * g.kernelHeight * g.kernelWidth, seed: seed + 1)
      let b = Support.random(channels, seed: seed + 2)
      let r = Support.random(batch * g.outputHeight * g.outputWidth * channels, seed: seed + 3)
      let fast = gradients(x: x, w: w, dY: r, batch: batch, channels: channels, geometry: g, reference: false)
      Support.assertConvolutionGradients(
        fast, x: x, w: w, b: b, r: r, batch: batch, inputChannels: channels, outputChannels: channels,
        groups: channels, geometry: g, "N=\(batch) C=\(channels) \(g)")
    }
  }

  func testFastKernelsMatchTwinsAcrossGeometriesChannelsAndThreads() {
    let channelCounts = [1, 7, 8, 9, 16, 17, 24, 33]
    var seed: UInt64 = 1000
    for (index, g) in Support.awkwardGeometries.enumerated() {
      for (round, channels) in channelCounts.enumerated() where (round + index) % 2 == 0 {
        let batch = round % 3 == 0 ? 1 : 3
        seed += 10
        let x = Support.random(batch * g.inputHeight * g.inputWidth * channels, seed: seed)
        let w = Support.random(channels * g.kernelHeight * g.kernelWidth, seed: seed + 1)
        let dY = Support.random(batch * g.outputHeight * g.outputWidth * channels, seed: seed + 2)
        let start: Float? = round % 4 == 1 ? -0.5 : nil
        let expected = gradients(
          x: x, w: w, dY: dY, batch: batch, channels: channels, geometry: g, reference: true, start: start)
        let single = gradients(
          x: x, w: w, dY: dY, batch: batch, channels: channels, geometry: g, reference: false, start: start)
        let double = gradients(
          x: x, w: w, dY: dY, batch: batch, channels: channels, geometry: g, reference: false, threads: 2,
          start: start)
        let label = "N=\(batch) C=\(channels) \(g) accumulate=\(start != nil)"
        Support.assertGradients(single, closeTo: expected, threaded: double, label)
      }
    }
  }

  func testEfficientNetShapeAtReducedSizeMatchesTwins() {
    // A B0 stage-2 depthwise (3×3 stride 2, TF-SAME on an even input) at 96 channels, batch 2.
    let g = ConvolutionGeometry.tensorFlowSame(inputHeight: 16, inputWidth: 16, kernelSize: 3, stride: 2)
    let (batch, channels) = (2, 96)
    let x = Support.random(batch * g.inputHeight * g.inputWidth * channels, seed: 77)
    let w = Support.random(channels * 9, seed: 78)
    let dY = Support.random(batch * g.outputHeight * g.outputWidth * channels, seed: 79)
    let expected = gradients(
      x: x, w: w, dY: dY, batch: batch, channels: channels, geometry: g, reference: true)
    let actual = gradients(
      x: x, w: w, dY: dY, batch: batch, channels: channels, geometry: g, reference: false, threads: 2)
    Support.assertClose(actual.dX, expected.dX, "dX")
    Support.assertClose(actual.dW, expected.dW, "dW")
    Support.assertClose(actual.db, expected.db, "db")
  }

  func testHandComputedOneChannelThreeByThree() {
    // 3×3 input 1…9, 3×3 kernel, padding 1, stride 2 → 2×2 output; dY = [1, 0, 0, 0] picks the
    // top-left output, whose window covers input rows/columns −1…1.
    let g = ConvolutionGeometry.symmetric(inputHeight: 3, inputWidth: 3, kernelSize: 3, stride: 2)
    XCTAssertEqual(g.outputHeight, 2)
    let x: [Float] = (1...9).map(Float.init)
    let w: [Float] = (1...9).map(Float.init)
    let dY: [Float] = [1, 0, 0, 0]
    let result = gradients(x: x, w: w, dY: dY, batch: 1, channels: 1, geometry: g, reference: false)
    // dX[iy, ix] = w[iy + 1, ix + 1] for iy, ix ∈ {0, 1}.
    XCTAssertEqual(result.dX, [5, 6, 0, 8, 9, 0, 0, 0, 0])
    // dW[ky, kx] = x[ky − 1, kx − 1] where inside.
    XCTAssertEqual(result.dW, [0, 0, 0, 0, 1, 2, 0, 4, 5])
    XCTAssertEqual(result.db, [1])
  }
}
