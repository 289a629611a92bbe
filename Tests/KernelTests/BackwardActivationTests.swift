import EfficientNetKernels
import XCTest

final class BackwardActivationTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private func activationForward(_ activation: Activation, _ x: Double) -> Double {
    switch activation {
    case .identity: return x
    case .relu: return max(x, 0)
    case .relu6: return min(max(x, 0), 6)
    case .silu: return x / (1 + exp(-x))
    case .sigmoid: return 1 / (1 + exp(-x))
    }
  }

  private func fastGradient(
    _ activation: Activation, x: [Float], dY: [Float], threads: Int = 1, start: Float? = nil
  ) -> [Float] {
    var dX = [Float](repeating: start ?? .nan, count: x.count)
    x.readBuffer { x in
      dY.readBuffer { dY in
        dX.writeBuffer {
          ActivationBackward.inputGradient(
            activation, preActivation: x, outputGradient: dY, inputGradient: $0, accumulate: start != nil,
            pool: ComputePool(threadCount: threads))
        }
      }
    }
    return dX
  }

  func testGradientsMatchFiniteDifferencesAwayFromKinks() {
    // Values in (−8, 8), nudged off the kinks of ReLU and ReLU6 by more than the step.
    let x = Support.random(37, seed: 7000, scale: 8).map { value -> Float in
      for kink: Float in [0, 6] where abs(value - kink) < 0.01 { return kink + 0.05 }
      return value
    }
    let r = Support.random(x.count, seed: 7001)
    for activation in Activation.allCases {
      let fast = fastGradient(activation, x: x, dY: r)
      let indices = Array(0..<x.count)
      let numeric = Support.numericGradient(at: x, indices: indices) { values in
        Support.dot(r, values.map { activationForward(activation, $0) })
      }
      Support.assertGradient(fast, numeric, indices: indices, "\(activation)")
    }
  }

  func testKinksFollowPyTorch() {
    // PyTorch: relu'(0) = 0; hardtanh(0, 6)' is 0 at both ends and 1 strictly inside.
    // Twice, so that both the vector path (first 8) and the scalar tail see every case.
    let x: [Float] = [-1, 0, 1e-6, 3, 6, 6.5, 5.999] + [-1, 0, 1e-6, 3, 6, 6.5, 5.999]
    let ones = [Float](repeating: 1, count: x.count)
    XCTAssertEqual(fastGradient(.relu, x: x, dY: ones), [0, 0, 1, 1, 1, 1, 1] + [0, 0, 1, 1, 1, 1, 1])
    XCTAssertEqual(fastGradient(.relu6, x: x, dY: ones), [0, 0, 1, 1, 0, 0, 1] + [0, 0, 1, 1, 0, 0, 1])
    XCTAssertEqual(fastGradient(.identity, x: x, dY: ones), ones)
    // silu'(0) = 1/2, sigmoid'(0) = 1/4.
    XCTAssertEqual(ActivationBackward.derivative(of: .silu, at: 0), 0.5)
    XCTAssertEqual(ActivationBackward.derivative(of: .sigmoid, at: 0), 0.25)
  }

  func testFastMatchesTwinForEveryLengthAndThreadCount() {
    for (index, count) in [1, 7, 8, 9, 17, 100, 70_001].enumerated() {
      let x = Support.random(count, seed: UInt64(7100 + index), scale: 10)
      let dY = Support.random(count, seed: UInt64(7200 + index))
      let start: Float? = index % 2 == 0 ? nil : 2
      for activation in Activation.allCases {
        var expected = [Float](repeating: start ?? .nan, count: count)
        x.readBuffer { x in
          dY.readBuffer { dY in
            expected.writeBuffer {
              ActivationBackward.inputGradientReference(
                activation, preActivation: x, outputGradient: dY, inputGradient: $0, accumulate: start != nil)
            }
          }
        }
        for threads in [1, 2] {
          let actual = fastGradient(activation, x: x, dY: dY, threads: threads, start: start)
          Support.assertClose(actual, expected, "\(activation) count=\(count) threads=\(threads)")
        }
      }
    }
  }

  func testSigmoidFromOutputMatchesSigmoidFromInput() {
    let x = Support.random(29, seed: 7300, scale: 6)
    let dY = Support.random(29, seed: 7301)
    let y = x.map { Activation.sigmoid.apply($0) }
    let fromInput = fastGradient(.sigmoid, x: x, dY: dY)
    var fromOutput = [Float](repeating: .nan, count: x.count)
    y.readBuffer { y in
      dY.readBuffer { dY in
        fromOutput.writeBuffer {
          ActivationBackward.sigmoidInputGradient(
            output: y, outputGradient: dY, inputGradient: $0, accumulate: false)
        }
      }
    }
    Support.assertClose(fromOutput, fromInput, "sigmoid from y")
  }

  func testInPlaceGradientOverwritesTheOutputGradient() {
    let x: [Float] = [-2, -1, 0.5, 7, 3, 1, 2, 4, 5]
    var values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    x.readBuffer { x in
      values.writeBuffer { buffer in
        ActivationBackward.inputGradient(
          .relu6, preActivation: x, outputGradient: UnsafeBufferPointer(buffer), inputGradient: buffer,
          accumulate: false)
      }
    }
    XCTAssertEqual(values, [0, 0, 3, 0, 5, 6, 7, 8, 9])
  }
}
