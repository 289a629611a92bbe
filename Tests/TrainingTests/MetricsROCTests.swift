import EfficientNetTraining
import XCTest

/// ROC AUC, thresholds, balanced class weights and stratified folds against scikit-learn's numbers.
final class MetricsROCTests: XCTestCase {
  // A hand-made binary score set with ties inside and across classes.
  private let scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]
  private let labels = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0]

  func testBinaryAreaWithTiesMatchesScikitLearn() throws {
    // sklearn 1.9.1: roc_auc_score(labels, scores) = 0.7777777777777779.
    let area = try XCTUnwrap(ROCAnalysis.areaUnderCurve(scores: scores, isPositive: labels.map { $0 == 1 }))
    XCTAssertEqual(area, 0.777_777_777_777_777_9, accuracy: 1e-12)
    // The same count by hand: 28 of the 36 positive–negative pairs are ordered right, 0.5 per tie.
    XCTAssertEqual(area, 28.0 / 36.0, accuracy: 1e-12)
  }

  func testAreaIsUndefinedWithOneClassAndOneWhenSeparated() {
    XCTAssertNil(ROCAnalysis.areaUnderCurve(scores: [0.1, 0.2], isPositive: [true, true]))
    XCTAssertEqual(ROCAnalysis.areaUnderCurve(scores: [0.9, 0.1, 0.8], isPositive: [true, false, true]), 1)
    XCTAssertEqual(ROCAnalysis.areaUnderCurve(scores: [0.5, 0.5], isPositive: [true, false]), 0.5)
  }

  func testOneVersusRestMatchesScikitLearn() {
    // sklearn 1.9.1: roc_auc_score(Y, P, multi_class='ovr', average=None) and average='macro'.
    let probabilities: [Float] = [
      0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0.4, 0.4, 0.2, 0.3, 0.3, 0.4, 0.1, 0.8, 0.1, 0.5, 0.25,
      0.25, 0.2, 0.5, 0.3, 0.25, 0.25, 0.5,
    ]
    let classes = [0, 1, 2, 1, 0, 1, 2, 2, 0]
    let result = ROCAnalysis.oneVersusRest(probabilities: probabilities, labels: classes, classCount: 3)
    let expected = [0.777_777_777_777_777_9, 0.944_444_444_444_444_5, 0.694_444_444_444_444_4]
    for (actual, wanted) in zip(result.perClass, expected) {
      XCTAssertEqual(actual ?? -1, wanted, accuracy: 1e-9)
    }
    XCTAssertEqual(result.macroAverage ?? -1, 0.805_555_555_555_555_7, accuracy: 1e-9)
  }

  func testSensitivityAndSpecificityAtThresholdMatchScikitLearn() {
    // sklearn 1.9.1, predictions = scores >= 0.6: recall_score = 0.8333…, recall of class 0 = 0.6666…,
    // confusion_matrix = [[4, 2], [1, 5]].
    let result = ROCAnalysis.thresholdMetrics(
      scores: scores, isPositive: labels.map { $0 == 1 }, threshold: 0.6)
    XCTAssertEqual(result.truePositives, 5)
    XCTAssertEqual(result.falseNegatives, 1)
    XCTAssertEqual(result.trueNegatives, 4)
    XCTAssertEqual(result.falsePositives, 2)
    XCTAssertEqual(result.sensitivity ?? -1, 5.0 / 6.0, accuracy: 1e-12)
    XCTAssertEqual(result.specificity ?? -1, 4.0 / 6.0, accuracy: 1e-12)
  }

  func testEvaluationMetricsRecordSoftmaxScores() throws {
    var metrics = EvaluationMetrics(classCount: 2, recordingScores: true)
    // Logit differences give P(class 1) = σ(z1 − z0).
    metrics.add(logits: [0, 2, 1, 0, 0, 0, 3, 1], labels: [1, 0, 1, 0])
    let p = metrics.probabilities
    XCTAssertEqual(Double(p[1]), 1 / (1 + exp(-2.0)), accuracy: 1e-6)
    XCTAssertEqual(Double(p[0] + p[1]), 1, accuracy: 1e-6)
    XCTAssertEqual(metrics.labels, [1, 0, 1, 0])
    // P(1) = 0.88, 0.27, 0.5, 0.12 for labels 1, 0, 1, 0: every positive above every negative.
    XCTAssertEqual(try XCTUnwrap(metrics.rocAUC?.macroAverage), 1, accuracy: 1e-12)
    let binary = try XCTUnwrap(metrics.thresholdMetrics(positiveClass: 1, threshold: 0.5))
    XCTAssertEqual([binary.truePositives, binary.falseNegatives, binary.trueNegatives], [2, 0, 2])
    XCTAssertNil(EvaluationMetrics(classCount: 2).rocAUC)
  }

  func testBalancedClassWeightsMatchScikitLearn() throws {
    // sklearn 1.9.1: compute_class_weight('balanced', classes=[0, 1, 2], y=[0]*3 + [1] + [2]*6).
    let weights = try ClassWeighting.balanced(counts: [3, 1, 6])
    let expected = [1.111_111_111_111_111_2, 3.333_333_333_333_333_5, 0.555_555_555_555_555_6]
    for (actual, wanted) in zip(weights, expected) { XCTAssertEqual(Double(actual), wanted, accuracy: 1e-6) }
    // A class without samples gets 0, and n_classes counts only the present ones.
    XCTAssertEqual(try ClassWeighting.balanced(counts: [2, 0, 6]), [2, 0, Float(8.0 / 12.0)])
    XCTAssertThrowsError(try ClassWeighting.balanced(counts: [0, 0]))
  }

  func testStratifiedFoldsPartitionEveryClassEvenly() {
    let classes = (0..<17).map { $0 < 6 ? 0 : ($0 < 15 ? 1 : 2) }  // 6, 9 and 2 samples
    let splits = CrossValidation.stratifiedFolds(labels: classes, folds: 3, seed: 4)
    XCTAssertEqual(splits.count, 3)
    XCTAssertEqual(splits.flatMap(\.validation).sorted(), Array(0..<17))
    for split in splits {
      XCTAssertEqual(Set(split.training).union(split.validation).count, 17)
      XCTAssertTrue(Set(split.training).isDisjoint(with: split.validation))
      XCTAssertTrue([5, 6].contains(split.validation.count), "\(split.validation.count)")
      XCTAssertEqual(split.validation.filter { classes[$0] == 0 }.count, 2)
      XCTAssertEqual(split.validation.filter { classes[$0] == 1 }.count, 3)
    }
    XCTAssertEqual(
      CrossValidation.stratifiedFolds(labels: classes, folds: 3, seed: 4),
      CrossValidation.stratifiedFolds(labels: classes, folds: 3, seed: 4))
  }
}
