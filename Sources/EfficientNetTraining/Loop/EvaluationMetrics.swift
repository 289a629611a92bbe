import Foundation

/// Accumulates classification metrics over batches: top-1, top-5, mean cross-entropy, per-class
/// accuracy and the confusion matrix (rows: true class, columns: predicted class).
public struct EvaluationMetrics: Sendable {
  /// The number of classes.
  public let classCount: Int
  /// Samples seen.
  public private(set) var count = 0
  /// Samples whose largest logit is the label.
  public private(set) var top1Correct = 0
  /// Samples whose label is among the five largest logits.
  public private(set) var top5Correct = 0
  /// Sum of the per-sample cross-entropy (no label smoothing).
  public private(set) var lossSum = 0.0
  /// `confusion[true][predicted]`.
  public private(set) var confusion: [[Int]]
  /// Whether every sample's class probabilities are kept (for ROC AUC and thresholds).
  public let recordsScores: Bool
  /// With ``recordsScores``: the softmax probabilities `[count, classCount]`, row-major.
  public private(set) var probabilities: [Float] = []
  /// With ``recordsScores``: the labels, in the order added.
  public private(set) var labels: [Int] = []

  /// An empty accumulator for `classCount` classes.
  ///
  /// - Parameters:
  ///   - classCount: the number of classes (the model's outputs).
  ///   - recordingScores: keep each sample's probabilities (memory: count × classes floats).
  public init(classCount: Int, recordingScores: Bool = false) {
    self.classCount = classCount
    recordsScores = recordingScores
    confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
  }

  /// Adds a batch: `logits` row-major `[labels.count, classCount]`.
  public mutating func add(logits: [Float], labels: [Int]) {
    precondition(logits.count == labels.count * classCount, "logits must be [N, classes]")
    for (row, label) in labels.enumerated() {
      let z = logits[(row * classCount)..<((row + 1) * classCount)]
      let largest = z.max() ?? 0
      var sum = 0.0
      for value in z { sum += exp(Double(value - largest)) }
      lossSum += Double(largest) + log(sum) - Double(z[z.startIndex + label])
      if recordsScores {
        for value in z { probabilities.append(Float(exp(Double(value - largest)) / sum)) }
        self.labels.append(label)
      }
      let order = z.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
      let predicted = order[0] - z.startIndex
      if predicted == label { top1Correct += 1 }
      if order.prefix(5).contains(z.startIndex + label) { top5Correct += 1 }
      confusion[label][predicted] += 1
      count += 1
    }
  }

  /// Fraction of samples classified correctly.
  public var top1: Double { count > 0 ? Double(top1Correct) / Double(count) : 0 }
  /// Fraction of samples with the label in the top five.
  public var top5: Double { count > 0 ? Double(top5Correct) / Double(count) : 0 }
  /// Mean cross-entropy.
  public var meanLoss: Double { count > 0 ? lossSum / Double(count) : 0 }
  /// Per class: the fraction of its samples classified correctly (nil when it has none).
  public var perClassAccuracy: [Double?] {
    (0..<classCount).map { label in
      let total = confusion[label].reduce(0, +)
      return total > 0 ? Double(confusion[label][label]) / Double(total) : nil
    }
  }

  /// One-vs-rest ROC AUC per class and its macro average (nil unless ``recordsScores``).
  public var rocAUC: OneVersusRestAUC? {
    guard recordsScores else { return nil }
    return ROCAnalysis.oneVersusRest(probabilities: probabilities, labels: labels, classCount: classCount)
  }

  /// Sensitivity and specificity of "positive when P(positiveClass) ≥ threshold" (nil unless
  /// ``recordsScores``).
  ///
  /// - Parameters:
  ///   - positiveClass: the positive class's index.
  ///   - threshold: the decision threshold on its probability.
  public func thresholdMetrics(positiveClass: Int, threshold: Double) -> BinaryThresholdMetrics? {
    precondition((0..<classCount).contains(positiveClass), "positive class outside the classes")
    guard recordsScores else { return nil }
    return ROCAnalysis.thresholdMetrics(
      scores: scores(of: positiveClass), isPositive: labels.map { $0 == positiveClass }, threshold: threshold)
  }

  /// The ROC curve of "positive when P(positiveClass) ≥ t" over every threshold t (nil unless
  /// ``recordsScores``, or without positives or negatives); its area is ``rocAUC``'s for the class.
  public func rocCurve(positiveClass: Int) -> [ROCPoint]? {
    precondition((0..<classCount).contains(positiveClass), "positive class outside the classes")
    guard recordsScores else { return nil }
    return ROCAnalysis.curve(
      scores: scores(of: positiveClass), isPositive: labels.map { $0 == positiveClass })
  }

  /// Every sample's probability of class `index`.
  private func scores(of index: Int) -> [Double] {
    labels.indices.map { Double(probabilities[$0 * classCount + index]) }
  }
}
