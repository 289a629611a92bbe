import EfficientNetKernels
import XCTest

/// Class-weighted cross-entropy (PyTorch's `cross_entropy(weight:, label_smoothing:)`).
final class BackwardWeightedLossTests: XCTestCase {
  private typealias Support = BackwardTestSupport

  private func evaluate(
    logits: [Float], labels: [Int], classes: Int, smoothing: Float, weights: [Float]?,
    reference: Bool = false, threads: Int = 1
  ) -> (result: CrossEntropy.Evaluation, gradient: [Float]) {
    var gradient = [Float](repeating: .nan, count: logits.count)
    let result = logits.readBuffer { logits in
      labels.withUnsafeBufferPointer { labels in
        gradient.writeBuffer { gradient in
          withOptionalBuffer(weights) { weights in
            reference
              ? CrossEntropy.lossAndGradientReference(
                logits: logits, labels: labels, classes: classes, labelSmoothing: smoothing,
                logitsGradient: gradient, correct: nil, classWeights: weights)
              : CrossEntropy.lossAndGradient(
                logits: logits, labels: labels, classes: classes, labelSmoothing: smoothing,
                logitsGradient: gradient, correct: nil, classWeights: weights,
                pool: ComputePool(threadCount: threads))
          }
        }
      }
    }
    return (result, gradient)
  }

  private func withOptionalBuffer<Result>(
    _ values: [Float]?, _ body: (UnsafeBufferPointer<Float>?) -> Result
  ) -> Result {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0) }
  }

  /// The weighted loss in `Double`, written from PyTorch's definition: the label term
  /// `Σ w[y]·(−log p[y]) / Σ w[y]` and the smoothing term `Σ_n Σ_c w[c]·(−log p[c]) / Σ w[y]`.
  private func loss(
    _ logits: [Double], labels: [Int], classes: Int, smoothing: Double, weights: [Double]
  ) -> Double {
    var labelTerm = 0.0
    var smoothingTerm = 0.0
    var targetWeight = 0.0
    for (sample, label) in labels.enumerated() {
      let row = Array(logits[(sample * classes)..<((sample + 1) * classes)])
      let largest = row.max() ?? 0
      let logSumExp = largest + log(row.reduce(0) { $0 + exp($1 - largest) })
      labelTerm += weights[label] * (logSumExp - row[label])
      for c in 0..<classes { smoothingTerm += weights[c] * (logSumExp - row[c]) }
      targetWeight += weights[label]
    }
    return ((1 - smoothing) * labelTerm + smoothing / Double(classes) * smoothingTerm) / targetWeight
  }

  func testWeightedLossAndGradientMatchPyTorchWithAndWithoutLabelSmoothing() {
    // Values from PyTorch 2.13 in float64:
    //   z = torch.tensor([[1.5, -0.5, 0.25], [0.1, 2.0, -1.0], [-0.3, 0.2, 0.9], [0.7, 0.7, -2.0]],
    //                    dtype=torch.float64, requires_grad=True); y = torch.tensor([0, 1, 2, 1])
    //   w = torch.tensor([0.5, 2.0, 1.25], dtype=torch.float64)
    //   l = F.cross_entropy(z, y, weight=w, label_smoothing=ε); g, = torch.autograd.grad(l, z)
    let logits: [Float] = [1.5, -0.5, 0.25, 0.1, 2.0, -1.0, -0.3, 0.2, 0.9, 0.7, 0.7, -2.0]
    let labels = [0, 1, 2, 1]
    let weights: [Float] = [0.5, 2.0, 1.25]
    let cases: [(Float, Double, [Double])] = [
      (
        0, 0.473_935_770_729_729_3,
        [
          -0.025_798_784_693_758_788, 0.008_276_799_665_145_652, 0.017_521_985_028_613_123,
          0.043_376_512_984_413_244, -0.057_815_299_868_578_66, 0.014_438_786_884_165_456,
          0.036_421_041_633_674_905, 0.060_048_146_042_494_775, -0.096_469_187_676_169_67,
          0.168_259_074_781_362_2, -0.179_567_012_175_159_52, 0.011_307_937_393_797_348,
        ]
      ),
      (
        0.1, 0.557_335_375_275_310_7,
        [
          -0.010_828_022_687_677_684, -0.002_075_883_283_633_225, 0.012_903_905_971_310_891,
          0.038_851_343_022_860_07, -0.045_502_298_587_275_1, 0.006_650_955_564_415_049_5,
          0.033_522_490_909_037_23, 0.048_453_943_143_944_06, -0.081_976_434_052_981_26,
          0.159_050_808_752_423_44, -0.162_688_321_682_359_2, 0.003_637_512_929_935_744,
        ]
      ),
    ]
    for (smoothing, expectedLoss, expectedGradient) in cases {
      for reference in [false, true] {
        let result = evaluate(
          logits: logits, labels: labels, classes: 3, smoothing: smoothing, weights: weights,
          reference: reference)
        XCTAssertEqual(
          result.result.loss, expectedLoss, accuracy: 1e-6, "ε \(smoothing) reference \(reference)")
        for (index, value) in result.gradient.enumerated() {
          XCTAssertEqual(Double(value), expectedGradient[index], accuracy: 1e-6, "ε \(smoothing) [\(index)]")
        }
      }
    }
  }

  func testWeightedGradientMatchesFiniteDifferences() {
    let classes = 11
    let labels = [3, 0, 10, 3, 7]
    let logits = Support.random(labels.count * classes, seed: 41, scale: 2)
    let weights = Support.random(classes, seed: 42).map { abs($0) + 0.1 }
    let result = evaluate(
      logits: logits, labels: labels, classes: classes, smoothing: 0.2, weights: weights)
    let doubles = logits.map(Double.init)
    let weightValues = weights.map(Double.init)
    XCTAssertEqual(
      result.result.loss,
      loss(doubles, labels: labels, classes: classes, smoothing: 0.2, weights: weightValues), accuracy: 1e-5)
    let step = 1e-5
    for index in 0..<doubles.count {
      var plus = doubles
      var minus = doubles
      plus[index] += step
      minus[index] -= step
      let numeric =
        (loss(plus, labels: labels, classes: classes, smoothing: 0.2, weights: weightValues)
          - loss(minus, labels: labels, classes: classes, smoothing: 0.2, weights: weightValues)) / (2 * step)
      XCTAssertEqual(Double(result.gradient[index]), numeric, accuracy: 1e-5, "logit \(index)")
    }
  }

  func testFastKernelMatchesReferenceAtAwkwardSizesAndThreadCounts() {
    for classes in [1, 2, 7, 8, 9, 17] {
      let batch = 13
      let labels = (0..<batch).map { ($0 * 5 + 1) % classes }
      let logits = Support.random(batch * classes, seed: UInt64(classes), scale: 3)
      let weights = Support.random(classes, seed: UInt64(100 + classes)).map { abs($0) + 0.05 }
      let expected = evaluate(
        logits: logits, labels: labels, classes: classes, smoothing: 0.1, weights: weights, reference: true)
      for threads in [1, 3] {
        let actual = evaluate(
          logits: logits, labels: labels, classes: classes, smoothing: 0.1, weights: weights, threads: threads
        )
        XCTAssertEqual(actual.result.loss, expected.result.loss, accuracy: 1e-5, "classes \(classes)")
        Support.assertClose(actual.gradient, expected.gradient, relative: 1e-5, "classes \(classes)")
      }
    }
  }

  func testUnitWeightsGiveTheUnweightedLoss() {
    let classes = 5
    let labels = [4, 1, 0, 2]
    let logits = Support.random(labels.count * classes, seed: 9, scale: 2)
    let plain = evaluate(logits: logits, labels: labels, classes: classes, smoothing: 0.1, weights: nil)
    let ones = evaluate(
      logits: logits, labels: labels, classes: classes, smoothing: 0.1,
      weights: [Float](repeating: 1, count: classes))
    XCTAssertEqual(ones.result.loss, plain.result.loss, accuracy: 1e-6)
    Support.assertClose(ones.gradient, plain.gradient, relative: 1e-6, "unit weights")
  }
}
