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
    let counts = cumulativeCounts(scores: scores, isPositive: isPositive)
    guard let total = counts.last, total.truePositives > 0, total.falsePositives > 0 else { return nil }
    var area = 0.0
    var previous = (truePositives: 0, falsePositives: 0)
    for point in counts {
      // Trapezoid between the curve's points before and after the tie group.
      let (groupPositives, groupNegatives) = (
        point.truePositives - previous.truePositives, point.falsePositives - previous.falsePositives
      )
      area += Double(groupNegatives) * (Double(previous.truePositives) + Double(groupPositives) / 2)
      previous = point
    }
    return area / (Double(total.truePositives) * Double(total.falsePositives))
  }

  /// The ROC curve whose area ``areaUnderCurve(scores:isPositive:)`` is: (false-positive rate,
  /// true-positive rate) from (0, 0), one point after each group of equal scores taken from the
  /// highest (so a tie is one diagonal step), ending at (1, 1).
  ///
  /// - Returns: the points, or nil when there are no positives or no negatives (undefined).
  public static func curve(scores: [Double], isPositive: [Bool]) -> [ROCPoint]? {
    let counts = cumulativeCounts(scores: scores, isPositive: isPositive)
    guard let total = counts.last, total.truePositives > 0, total.falsePositives > 0 else { return nil }
    return [ROCPoint(falsePositiveRate: 0, truePositiveRate: 0)]
      + counts.map {
        ROCPoint(
          falsePositiveRate: Double($0.falsePositives) / Double(total.falsePositives),
          truePositiveRate: Double($0.truePositives) / Double(total.truePositives))
      }
  }

  /// Positives and negatives scoring at least each distinct score, from the highest score down.
  static func cumulativeCounts(scores: [Double], isPositive: [Bool])
    -> [(truePositives: Int, falsePositives: Int)]
  {
    precondition(scores.count == isPositive.count, "one label per score")
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var counts: [(truePositives: Int, falsePositives: Int)] = []
    var (truePositives, falsePositives) = (0, 0)
    var start = 0
    while start < order.count {
      var end = start
      while end < order.count && scores[order[end]] == scores[order[start]] {
        if isPositive[order[end]] { truePositives += 1 } else { falsePositives += 1 }
        end += 1
      }
      counts.append((truePositives, falsePositives))
      start = end
    }
    return counts
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

/// A point of a ROC curve: the rates of a threshold.
public struct ROCPoint: Sendable, Equatable {
  /// Negatives called positive, over all negatives (1 − specificity).
  public var falsePositiveRate: Double
  /// Positives called positive, over all positives (sensitivity).
  public var truePositiveRate: Double

  /// The point (`falsePositiveRate`, `truePositiveRate`).
  public init(falsePositiveRate: Double, truePositiveRate: Double) {
    self.falsePositiveRate = falsePositiveRate
    self.truePositiveRate = truePositiveRate
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
