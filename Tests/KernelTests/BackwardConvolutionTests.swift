import EfficientNetKernels
import XCTest

final class BackwardConvolutionTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private struct Layer {
    var batch: Int
    var inputChannels: Int
    var outputChannels: Int
    var groups: Int
    var geometry: ConvolutionGeometry

    var inputCount: Int { batch * geometry.inputHeight * geometry.inputWidth * inputChannels }
    var outputCount: Int { batch * geometry.outputHeight * geometry.outputWidth * outputChannels }
    var weightCount: Int {
      outputChannels * inputChannels / groups * geometry.kernelHeight * geometry.kernelWidth
    }
  }

  /// dX, dW and db from the fast kernels (`reference == false`) or their twins.
  private func gradients(
    _ layer: Layer, x: [Float], w: [Float], dY: [Float], reference: Bool, threads: Int = 1,
    start: Float? = nil
  ) -> (dX: [Float], dW: [Float], db: [Float]) {
    let accumulate = start != nil
    var dX = [Float](repeating: start ?? .nan, count: x.count)
    var dW = [Float](repeating: start ?? .nan, count: w.count)
    var db = [Float](repeating: start ?? .nan, count: layer.outputChannels)
    let pool = ComputePool(threadCount: threads)
    let (b, i, o, groups, g) = (
      layer.batch, layer.inputChannels, layer.outputChannels, layer.groups, layer.geometry
    )
    dY.readBuffer { dY in
      w.readBuffer { w in
        dX.writeBuffer { dX in
          if reference {
            ConvolutionBackward.inputGradientReference(
              outputGradient: dY, batch: b, inputChannels: i, outputChannels: o, groups: groups, geometry: g,
              weights: w, inputGradient: dX, accumulate: accumulate)
          } else {
            ConvolutionBackward.inputGradient(
              outputGradient: dY, batch: b, inputChannels: i, outputChannels: o, groups: groups, geometry: g,
              weights: w, inputGradient: dX, accumulate: accumulate, pool: pool)
          }
        }
      }
      x.readBuffer { x in
        dW.writeBuffer { dW in
          db.writeBuffer { db in
            if reference {
              ConvolutionBackward.weightGradientReference(
                outputGradient: dY, input: x, batch: b, inputChannels: i, outputChannels: o, groups: groups,
                geometry: g, weightGradient: dW, biasGradient: db, accumulate: accumulate)
            } else {
              ConvolutionBackward.weightGradient(
                outputGradient: dY, input: x, batch: b, inputChannels: i, outputChannels: o, groups: groups,
                geometry: g, weightGradient: dW, biasGradient: db, accumulate: accumulate, pool: pool)
            }
          }
        }
      }
    }
    return (dX, dW, db)
  }

  /// Channel and group combinations: the stem's 1 and 3 input channels, output counts around the
  /// vector width, and grouped convolutions.
  private let channelSets = [
    (1, 1, 1), (3, 7, 1), (3, 8, 1), (1, 9, 1), (4, 6, 2), (6, 9, 3), (2, 17, 1), (3, 32, 1),
  ]

  func testGradientsMatchFiniteDifferencesOfTheForwardPass() {
    for (index, g) in Support.awkwardGeometries.enumerated() {
      let (inputs, outputs, groups) = channelSets[index % channelSets.count]
      let layer = Layer(
        batch: index % 2 == 0 ? 1 : 3, inputChannels: inputs, outputChannels: outputs, groups: groups,
        geometry: g)
      let seed = UInt64(2000 + index * 10)
      let x = Support.random(layer.inputCount, seed: seed)
      let w = Support.random(layer.weightCount, seed: seed + 1)
      let b = Support.random(outputs, seed: seed + 2)
      let r = Support.random(layer.outputCount, seed: seed + 3)
      let fast = gradients(layer, x: x, w: w, dY: r, reference: false)
      Support.assertConvolutionGradients(
        fast, x: x, w: w, b: b, r: r, batch: layer.batch, inputChannels: inputs, outputChannels: outputs,
        groups: groups, geometry: g, "N=\(layer.batch) Cin=\(inputs) Cout=\(outputs) groups=\(groups) \(g)")
    }
  }

  func testFastKernelsMatchTwinsAcrossGeometriesChannelsAndThreads() {
    var seed: UInt64 = 3000
    for (index, g) in Support.awkwardGeometries.enumerated() {
      for (round, (inputs, outputs, groups)) in channelSets.enumerated() where (round + index) % 2 == 1 {
        let layer = Layer(
          batch: round % 3 == 0 ? 1 : 3, inputChannels: inputs, outputChannels: outputs, groups: groups,
          geometry: g)
        seed += 10
        let x = Support.random(layer.inputCount, seed: seed)
        let w = Support.random(layer.weightCount, seed: seed + 1)
        let dY = Support.random(layer.outputCount, seed: seed + 2)
        let start: Float? = round % 4 == 0 ? 1.5 : nil
        let expected = gradients(layer, x: x, w: w, dY: dY, reference: true, start: start)
        let single = gradients(layer, x: x, w: w, dY: dY, reference: false, start: start)
        let double = gradients(layer, x: x, w: w, dY: dY, reference: false, threads: 2, start: start)
        let label =
          "N=\(layer.batch) Cin=\(inputs) Cout=\(outputs) groups=\(groups) \(g) accumulate=\(start != nil)"
        Support.assertGradients(single, closeTo: expected, threaded: double, label)
      }
    }
  }

  func testStemAtReducedSizeSplitsPixelsAndMatchesTwins() {
    // The B0 stem (3 → 32, 3×3 stride 2, TF-SAME) on 2 × 64×64: 2048 output pixels, two parts.
    let g = ConvolutionGeometry.tensorFlowSame(inputHeight: 64, inputWidth: 64, kernelSize: 3, stride: 2)
    let layer = Layer(batch: 2, inputChannels: 3, outputChannels: 32, groups: 1, geometry: g)
    let x = Support.random(layer.inputCount, seed: 91)
    let w = Support.random(layer.weightCount, seed: 92)
    let dY = Support.random(layer.outputCount, seed: 93)
    let expected = gradients(layer, x: x, w: w, dY: dY, reference: true)
    let single = gradients(layer, x: x, w: w, dY: dY, reference: false)
    let double = gradients(layer, x: x, w: w, dY: dY, reference: false, threads: 2)
    Support.assertClose(single.dW, expected.dW, "dW")
    Support.assertClose(single.db, expected.db, "db")
    Support.assertClose(single.dX, expected.dX, "dX")
    XCTAssertEqual(double.dW, single.dW, "dW independent of threads")
  }
}
