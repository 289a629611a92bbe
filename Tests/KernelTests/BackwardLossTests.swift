import EfficientNetKernels
import XCTest

final class BackwardLossTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private func evaluate(
    logits: [Float], labels: [Int], classes: Int, smoothing: Float, reference: Bool = false, threads: Int = 1
  ) -> (result: CrossEntropy.Evaluation, gradient: [Float], correct: [Bool]) {
    var gradient = [Float](repeating: .nan, count: logits.count)
    var correct = [Bool](repeating: false, count: labels.count)
    let result = logits.readBuffer { logits in
      labels.withUnsafeBufferPointer { labels in
        gradient.writeBuffer { gradient in
          correct.withUnsafeMutableBufferPointer { correct in
            reference
              ? CrossEntropy.lossAndGradientReference(
                logits: logits, labels: labels, classes: classes, labelSmoothing: smoothing,
                logitsGradient: gradient, correct: correct)
              : CrossEntropy.lossAndGradient(
                logits: logits, labels: labels, classes: classes, labelSmoothing: smoothing,
                logitsGradient: gradient, correct: correct, pool: ComputePool(threadCount: threads))
          }
        }
      }
    }
    return (result, gradient, correct)
  }

  /// The loss in `Double`: mean over samples of `−Σ_c q_c · log softmax(z)_c`.
  private func loss(_ logits: [Double], labels: [Int], classes: Int, smoothing: Double) -> Double {
    var total = 0.0
    for (sample, label) in labels.enumerated() {
      let row = Array(logits[(sample * classes)..<((sample + 1) * classes)])
      let largest = row.max() ?? 0
      let logSumExp = largest + log(row.reduce(0) { $0 + exp($1 - largest) })
      for c in 0..<classes {
        let target = (c == label ? 1 - smoothing : 0) + smoothing / Double(classes)
        total -= target * (row[c] - logSumExp)
      }
    }
    return total / Double(labels.count)
  }

  func testLossOfOneSampleMatchesHandComputation() {
    // −log softmax([1, 2, 3])[2] = log(e + e² + e³) − 3 = 0.40760596444438…
    // (also torch.nn.functional.cross_entropy(tensor([[1., 2., 3.]]), tensor([2])) in PyTorch 2.13).
    let result = evaluate(logits: [1, 2, 3], labels: [2], classes: 3, smoothing: 0)
    XCTAssertEqual(result.result.loss, 0.407_605_964_444_380_4, accuracy: 1e-6)
    XCTAssertEqual(result.result.correctCount, 1)
    XCTAssertEqual(result.correct, [true])
  }

  func testLossAndGradientMatchPyTorchWithAndWithoutLabelSmoothing() {
    // Values from PyTorch 2.13 in float64:
    //   z = torch.tensor([[1., 2., 3., -1.], [0.5, -0.25, 2., 1.5]], dtype=torch.float64,
    //                    requires_grad=True); y = torch.tensor([2, 0])
    //   l = F.cross_entropy(z, y, label_smoothing=ε); g, = torch.autograd.grad(l, z)
    let logits: [Float] = [1, 2, 3, -1, 0.5, -0.25, 2, 1.5]
    let cases: [(Float, Double, [Double])] = [
      (
        0, 1.289_927_501_512_582_8,
        [
          0.044_473_408_648_702_14, 0.120_891_258_579_400_36, -0.171_383_488_584_072_32,
          0.006_018_821_355_969_727,
          -0.442_345_416_931_242_7, 0.027_234_096_653_909_367, 0.258_389_914_794_147_75,
          0.156_721_405_483_185_56,
        ]
      ),
      (
        0.1, 1.355_552_501_512_582_9,
        [
          0.031_973_408_648_702_14, 0.108_391_258_579_400_37, -0.133_883_488_584_072_34,
          -0.006_481_178_644_030_273,
          -0.404_845_416_931_242_7, 0.014_734_096_653_909_366, 0.245_889_914_794_147_73,
          0.144_221_405_483_185_54,
        ]
      ),
    ]
    for (smoothing, expectedLoss, expectedGradient) in cases {
      let result = evaluate(logits: logits, labels: [2, 0], classes: 4, smoothing: smoothing)
      XCTAssertEqual(result.result.loss, expectedLoss, accuracy: 1e-6, "ε = \(smoothing)")
      for (actual, expected) in zip(result.gradient, expectedGradient) {
        XCTAssertEqual(Double(actual), expected, accuracy: 1e-6, "ε = \(smoothing)")
      }
      XCTAssertEqual(result.correct, [true, false])
      XCTAssertEqual(result.result.correctCount, 1)
    }
  }

  func testGradientMatchesFiniteDifferences() {
    for (index, (batch, classes)) in [(1, 1), (1, 7), (3, 8), (3, 9), (2, 17)].enumerated() {
      let logits = Support.random(batch * classes, seed: UInt64(8000 + index), scale: 4)
      let labels = (0..<batch).map { ($0 * 5 + index) % classes }
      for smoothing: Float in [0, 0.1] {
        let fast = evaluate(logits: logits, labels: labels, classes: classes, smoothing: smoothing)
        let indices = Array(0..<logits.count)
        let numeric = Support.numericGradient(at: logits, indices: indices) {
          loss($0, labels: labels, classes: classes, smoothing: Double(smoothing))
        }
        Support.assertGradient(
          fast.gradient, numeric, indices: indices, "N=\(batch) classes=\(classes) ε=\(smoothing)")
        let exact = loss(
          logits.map(Double.init), labels: labels, classes: classes, smoothing: Double(smoothing))
        XCTAssertEqual(fast.result.loss, exact, accuracy: 1e-5 * max(1, exact))
      }
    }
  }

  func testFastMatchesTwinIncludingLargeLogitsAndTies() {
    for (index, (batch, classes)) in [(1, 1), (3, 7), (1, 8), (3, 9), (5, 17), (4, 1000)].enumerated() {
      // Large logits check the max subtraction; rounding to halves makes ties for the argmax.
      var logits = Support.random(batch * classes, seed: UInt64(8100 + index), scale: 60).map {
        ($0 * 2).rounded() / 2
      }
      if classes > 2 { logits[1] = logits[2] }
      let labels = (0..<batch).map { ($0 * 3 + 1) % classes }
      let expected = evaluate(
        logits: logits, labels: labels, classes: classes, smoothing: 0.1, reference: true)
      for threads in [1, 2] {
        let actual = evaluate(
          logits: logits, labels: labels, classes: classes, smoothing: 0.1, threads: threads)
        XCTAssertEqual(
          actual.result.loss, expected.result.loss, accuracy: 1e-5 * max(1, expected.result.loss))
        XCTAssertEqual(actual.result.correctCount, expected.result.correctCount)
        XCTAssertEqual(actual.correct, expected.correct)
        Support.assertClose(
          actual.gradient, expected.gradient, "N=\(batch) classes=\(classes) threads=\(threads)")
      }
    }
  }

  func testTiesCountTheFirstLargestLogit() {
    let result = evaluate(logits: [2, 5, 5, 1, 3, 3], labels: [2, 1], classes: 3, smoothing: 0)
    XCTAssertEqual(result.correct, [false, true])
  }
}
