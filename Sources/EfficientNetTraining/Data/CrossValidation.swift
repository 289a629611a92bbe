import Foundation

/// Stratified k-fold cross-validation splits: each fold holds out about `1/k` of every class.
public enum CrossValidation {
  /// Divides samples into `folds` disjoint validation folds, class by class.
  ///
  /// The samples are put in one seeded permutation (``DatasetSplit/permutation(count:seed:)``); then
  /// each class's samples, in that order, are dealt to the folds in turn, continuing from where the
  /// previous class stopped, so fold sizes differ by at most one and every fold holds
  /// `⌊n_c / k⌋` or `⌈n_c / k⌉` samples of class `c`.
  ///
  /// - Parameters:
  ///   - labels: the label of every sample (index = sample).
  ///   - folds: k, at least 2 and at most the number of samples.
  ///   - seed: the permutation's seed.
  /// - Returns: k splits; split `i` validates on fold `i` and trains on the others (permutation order).
  public static func stratifiedFolds(labels: [Int], folds: Int, seed: UInt64) -> [DatasetSplit] {
    precondition(folds >= 2 && folds <= labels.count, "folds must be in 2...\(labels.count), got \(folds)")
    let order = DatasetSplit.permutation(count: labels.count, seed: seed)
    var foldOf = [Int](repeating: 0, count: labels.count)
    var next = 0
    for label in Set(labels).sorted() {
      for sample in order where labels[sample] == label {
        foldOf[sample] = next % folds
        next += 1
      }
    }
    return (0..<folds).map { fold in
      DatasetSplit(
        training: order.filter { foldOf[$0] != fold }, validation: order.filter { foldOf[$0] == fold })
    }
  }
}

/// The results of a cross-validation: each fold's held-out metrics, their mean AUC, and the AUC of
/// all out-of-fold predictions pooled.
public struct CrossValidationSummary {
  /// Per fold: its held-out samples, top-1 and macro ROC AUC (nil where undefined).
  public private(set) var folds: [(samples: Int, top1: Double, auc: Double?)] = []
  private var probabilities: [Float] = []
  private var labels: [Int] = []
  private var classCount = 0

  /// An empty summary.
  public init() {}

  /// Adds a fold's held-out metrics (recorded with scores, so the AUC can be computed).
  public mutating func add(_ metrics: EvaluationMetrics) {
    precondition(metrics.recordsScores, "cross-validation needs metrics recorded with scores")
    classCount = metrics.classCount
    probabilities += metrics.probabilities
    labels += metrics.labels
    folds.append((metrics.count, metrics.top1, metrics.rocAUC?.macroAverage))
  }

  /// The mean of the folds' AUCs where defined (nil if none is).
  public var meanAUC: Double? {
    let defined = folds.compactMap(\.auc)
    return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
  }

  /// The macro AUC of every out-of-fold prediction together.
  public var pooledAUC: Double? {
    ROCAnalysis.oneVersusRest(probabilities: probabilities, labels: labels, classCount: classCount)
      .macroAverage
  }

  /// The summary as a JSON-ready dictionary (`folds`, `mean_auc`, `pooled_auc`; NSNull where undefined).
  public var record: [String: Any] {
    func optional(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
    return [
      "folds": folds.enumerated().map { index, fold in
        ["fold": index + 1, "samples": fold.samples, "top1": fold.top1, "auc": optional(fold.auc)]
          as [String: Any]
      },
      "mean_auc": optional(meanAUC), "pooled_auc": optional(pooledAUC),
    ]
  }
}
