import EfficientNetKernels
import XCTest

final class BackwardLinearTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  /// The three gradients of a linear layer from the fast kernels on `pool`, or from their naive twins.
  private func gradients(
    x: [Float], w: [Float], dY: [Float], rows: Int, outputs: Int, inputs: Int, reference: Bool = false,
    pool: ComputePool = ComputePool(threadCount: 1), start: Float? = nil
  ) -> Support.LayerGradients {
    let accumulate = start != nil
    var dX = [Float](repeating: start ?? .nan, count: rows * inputs)
    var dW = [Float](repeating: start ?? .nan, count: outputs * inputs)
    var db = [Float](repeating: start ?? .nan, count: outputs)
    dY.readBuffer { dY in
      w.readBuffer { w in
        dX.writeBuffer {
          if reference {
            LinearBackward.inputGradientReference(
              outputGradient: dY, rows: rows, outputCount: outputs, inputCount: inputs, weights: w,
              inputGradient: $0, accumulate: accumulate)
          } else {
            LinearBackward.inputGradient(
              outputGradient: dY, rows: rows, outputCount: outputs, inputCount: inputs, weights: w,
              inputGradient: $0, accumulate: accumulate, pool: pool)
          }
        }
      }
      x.readBuffer { x in
        dW.writeBuffer {
          if reference {
            LinearBackward.weightGradientReference(
              outputGradient: dY, input: x, rows: rows, outputCount: outputs, inputCount: inputs,
              weightGradient: $0, accumulate: accumulate)
          } else {
            LinearBackward.weightGradient(
              outputGradient: dY, input: x, rows: rows, outputCount: outputs, inputCount: inputs,
              weightGradient: $0, accumulate: accumulate, pool: pool)
          }
        }
      }
      db.writeBuffer {
        if reference {
          LinearBackward.biasGradientReference(
            outputGradient: dY, rows: rows, outputCount: outputs, biasGradient: $0, accumulate: accumulate)
        } else {
          LinearBackward.biasGradient(
            outputGradient: dY, rows: rows, outputCount: outputs, biasGradient: $0, accumulate: accumulate,
            pool: pool)
        }
      }
    }
    return (dX, dW, db)
  }

  func testGradientsMatchFiniteDifferencesOfTheForwardPass() {
    let shapes = [(1, 1, 1), (3, 7, 9), (5, 17, 8), (13, 9, 17), (7, 1, 6), (2, 20, 3)]
    for (index, (rows, inputs, outputs)) in shapes.enumerated() {
      let seed = UInt64(index * 10)
      let x = Support.random(rows * inputs, seed: seed)
      let w = Support.random(outputs * inputs, seed: seed + 1)
      let b = Support.random(outputs, seed: seed + 2)
      // L = Σ R ⊙ Y, so dL/dY = R.
      let r = Support.random(rows * outputs, seed: seed + 3)
      let fast = gradients(x: x, w: w, dY: r, rows: rows, outputs: outputs, inputs: inputs)
      func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
        Support.dot(r, Support.linearForward(x: x, w: w, b: b, rows: rows, outputs: outputs, inputs: inputs))
      }
      let label = "M=\(rows) K=\(inputs) N=\(outputs)"
      Support.assertLayerGradients(
        dX: fast.dX, dW: fast.dW, db: fast.db, x: x, w: w, b: b, label, loss: loss)
    }
  }

  func testFastKernelsMatchTwinsAtTileEdges() {
    // Rows around the 6-row tile and the 128-row depth block; columns around 8, 16 and the packing
    // threshold (48).
    let shapes = [
      (1, 1, 1), (5, 7, 5), (6, 8, 6), (7, 9, 7), (13, 15, 13), (12, 16, 12), (17, 17, 17), (129, 33, 19),
      (130, 47, 11), (257, 48, 25), (64, 50, 31), (31, 64, 16), (100, 24, 1), (3, 1, 40),
    ]
    for (index, (rows, inputs, outputs)) in shapes.enumerated() {
      let seed = UInt64(100 + index * 10)
      let x = Support.random(rows * inputs, seed: seed)
      let w = Support.random(outputs * inputs, seed: seed + 1)
      let dY = Support.random(rows * outputs, seed: seed + 2)
      let start: Float? = index % 2 == 0 ? nil : 0.25
      let expected = gradients(
        x: x, w: w, dY: dY, rows: rows, outputs: outputs, inputs: inputs, reference: true, start: start)
      for threads in [1, 2] {
        let actual = gradients(
          x: x, w: w, dY: dY, rows: rows, outputs: outputs, inputs: inputs,
          pool: ComputePool(threadCount: threads), start: start)
        let label = "M=\(rows) K=\(inputs) N=\(outputs) threads=\(threads) accumulate=\(start != nil)"
        Support.assertGradients(actual, closeTo: expected, label)
      }
    }
  }

  func testParallelSplitsMatchTwinsAndOwnedRowsAreThreadCountIndependent() {
    // Large enough to run in parallel: N = 12 on 4 threads splits M (two 6-row tiles < 4 threads);
    // M = 50 with K = 64 splits dX by column stripes; N = 96 splits dW by rows; M = 9000 with K ≥ N
    // cuts M into two fixed chunks.
    let shapes = [(2000, 9, 12), (50, 64, 64), (700, 40, 96), (9000, 40, 24)]
    for (index, (rows, inputs, outputs)) in shapes.enumerated() {
      let seed = UInt64(300 + index * 10)
      let x = Support.random(rows * inputs, seed: seed)
      let w = Support.random(outputs * inputs, seed: seed + 1)
      let dY = Support.random(rows * outputs, seed: seed + 2)
      let expected = gradients(
        x: x, w: w, dY: dY, rows: rows, outputs: outputs, inputs: inputs, reference: true)
      let single = gradients(x: x, w: w, dY: dY, rows: rows, outputs: outputs, inputs: inputs)
      let label = "M=\(rows) K=\(inputs) N=\(outputs)"
      for threads in [2, 4] {
        let actual = gradients(
          x: x, w: w, dY: dY, rows: rows, outputs: outputs, inputs: inputs,
          pool: ComputePool(threadCount: threads))
        Support.assertGradients(actual, closeTo: expected, "\(label) threads=\(threads)")
        XCTAssertEqual(actual.dX, single.dX, "dX is summed in one order, \(label) threads=\(threads)")
        XCTAssertEqual(actual.db, single.db, "db chunks are fixed, \(label) threads=\(threads)")
        if (outputs + 5) / 6 >= threads || (inputs >= outputs && rows / 4096 >= 2) {
          XCTAssertEqual(actual.dW, single.dW, "dW rows or chunks are fixed, \(label) threads=\(threads)")
        }
      }
    }
  }

  func testHandComputedTwoByTwo() {
    // X = [[1, 2], [3, 4]], W = [[1, 0], [2, -1]], dY = [[1, 0], [0, 2]].
    let x: [Float] = [1, 2, 3, 4]
    let w: [Float] = [1, 0, 2, -1]
    let dY: [Float] = [1, 0, 0, 2]
    let result = gradients(x: x, w: w, dY: dY, rows: 2, outputs: 2, inputs: 2)
    // dX = dY·W = [[1, 0], [4, -2]]; dW = dYᵀ·X = [[1, 2], [6, 8]]; db = [1, 2].
    XCTAssertEqual(result.dX, [1, 0, 4, -2])
    XCTAssertEqual(result.dW, [1, 2, 6, 8])
    XCTAssertEqual(result.db, [1, 2])
  }

  func testZeroRowsClearOrKeepTheWeightGradient() {
    var dW: [Float] = [1, 2, 3]
    var db: [Float] = [5]
    let empty: [Float] = []
    empty.readBuffer { none in
      dW.writeBuffer {
        LinearBackward.weightGradient(
          outputGradient: none, input: none, rows: 0, outputCount: 1, inputCount: 3, weightGradient: $0,
          accumulate: true)
      }
      XCTAssertEqual(dW, [1, 2, 3])
      dW.writeBuffer {
        LinearBackward.weightGradient(
          outputGradient: none, input: none, rows: 0, outputCount: 1, inputCount: 3, weightGradient: $0,
          accumulate: false)
      }
      db.writeBuffer {
        LinearBackward.biasGradient(
          outputGradient: none, rows: 0, outputCount: 1, biasGradient: $0, accumulate: false)
      }
    }
    XCTAssertEqual(dW, [0, 0, 0])
    XCTAssertEqual(db, [0])
  }
}
