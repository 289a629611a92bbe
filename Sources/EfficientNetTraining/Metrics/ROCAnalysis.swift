/// Receiver operating characteristic analysis: the exact area under the ROC curve, one-vs-rest per
/// class, and binary sensitivity and specificity at a threshold.
public enum ROCAnalysis {
  /// The area under the ROC curve of `scores` (higher = more positive), exactly as scikit-learn's
  /// `roc_auc_score` computes it: the trapezoid rule over the curve through every distinct threshold,
  /// samples with equal scores entering together (a diagonal step, so a tied positive–negative pair
  /// counts one half, the Mann–Whitney statistic).
  ///
  /// - Parameters:
  ///   - scores: one score per sample.
  ///   - isPositive: whether each sample is positive (same count).
  /// - Returns: the area in [0, 1], or nil when there are no positives or no negatives (undefined).
  public static func areaUnderCurve(scores: [Double], isPositive: [Bool]) -> Double? {
    precondition(scores.count == isPositive.count, "one label per score")
    let positives = isPositive.filter { $0 }.count
    let negatives = isPositive.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var area = 0.0
    var truePositives = 0
    var falsePositives = 0
    var start = 0
    while start < order.count {
      var end = start
      var groupPositives = 0
      var groupNegatives = 0
      while end < order.count && scores[order[end]] == scores[order[start]] {
        if isPositive[order[end]] { groupPositives += 1 } else { groupNegatives += 1 }
        end += 1
      }
      // Trapezoid between the curve's points before and after the tie group.
      area += Double(groupNegatives) * (Double(truePositives) + Double(groupPositives) / 2)
      truePositives += groupPositives
      falsePositives += groupNegatives
      start = end
    }
    return area / (Double(positives) * Double(negatives))
  }

  /// One-vs-rest ROC AUC of class probabilities.
  ///
  /// - Parameters:
  ///   - probabilities: `P[N, classes]` row-major.
  ///   - labels: N class indices.
  ///   - classCount: the number of classes.
  /// - Returns: per class, the AUC of `P[:, c]` for "label is c" (nil for a class with no samples or
  ///   only samples), and the macro average over the classes where it is defined.
  public static func oneVersusRest(probabilities: [Float], labels: [Int], classCount: Int)
    -> OneVersusRestAUC
  {
    precondition(probabilities.count == labels.count * classCount, "probabilities must be [N, classes]")
    var perClass: [Double?] = []
    for c in 0..<classCount {
      let scores = labels.indices.map { Double(probabilities[$0 * classCount + c]) }
      perClass.append(areaUnderCurve(scores: scores, isPositive: labels.map { $0 == c }))
    }
    return OneVersusRestAUC(perClass: perClass)
  }

  /// Sensitivity and specificity of the rule "positive when `scores ≥ threshold`".
  ///
  /// - Parameters:
  ///   - scores: the positive class's probability per sample.
  ///   - isPositive: whether each sample is of the positive class.
  ///   - threshold: the decision threshold.
  public static func thresholdMetrics(scores: [Double], isPositive: [Bool], threshold: Double)
    -> BinaryThresholdMetrics
  {
    precondition(scores.count == isPositive.count, "one label per score")
    var result = BinaryThresholdMetrics(threshold: threshold)
    for (score, positive) in zip(scores, isPositive) {
      switch (positive, score >= threshold) {
      case (true, true): result.truePositives += 1
      case (true, false): result.falseNegatives += 1
      case (false, true): result.falsePositives += 1
      case (false, false): result.trueNegatives += 1
      }
    }
    return result
  }
}

/// Per-class one-vs-rest ROC AUC and its macro average.
public struct OneVersusRestAUC: Sendable, Equatable {
  /// Per class: its AUC, or nil where undefined (no positives or no negatives).
  public var perClass: [Double?]

  /// Wraps per-class areas.
  public init(perClass: [Double?]) { self.perClass = perClass }
  /// The mean over the classes where the AUC is defined (nil when it is nowhere defined).
  public var macroAverage: Double? {
    let defined = perClass.compactMap { $0 }
    return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
  }
}

/// A binary decision at a threshold: the 2×2 confusion counts, sensitivity and specificity.
public struct BinaryThresholdMetrics: Sendable, Equatable {
  /// The threshold on the positive class's probability (positive when the probability is ≥ it).
  public var threshold: Double
  /// Positives called positive.
  public var truePositives = 0
  /// Positives called negative.
  public var falseNegatives = 0
  /// Negatives called negative.
  public var trueNegatives = 0
  /// Negatives called positive.
  public var falsePositives = 0

  /// Creates empty counts for `threshold`.
  public init(threshold: Double) { self.threshold = threshold }

  /// True-positive rate TP / (TP + FN) (recall of the positive class); nil without positives.
  public var sensitivity: Double? {
    let total = truePositives + falseNegatives
    return total > 0 ? Double(truePositives) / Double(total) : nil
  }

  /// True-negative rate TN / (TN + FP); nil without negatives.
  public var specificity: Double? {
    let total = trueNegatives + falsePositives
    return total > 0 ? Double(trueNegatives) / Double(total) : nil
  }
}
