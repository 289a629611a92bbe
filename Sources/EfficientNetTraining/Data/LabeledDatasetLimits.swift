import EfficientNetModels

/// Bounds every dataset reader checks before it trusts what a file says about its classes, shared with
/// command lines (`--num-classes`) so that they refuse the same class counts.
public enum LabeledDatasetLimits {
  /// The most classes a dataset may have, 100,000: a label of `maximumClassCount` or more is refused
  /// (a stray `100000000` label would otherwise ask for a classifier of 10^8 outputs).
  public static let maximumClassCount = ArchitectureLimits.maximumClassCount

  /// Labels may leave classes unused, but not most of them: the class count (largest label + 1) may be
  /// at most twice the number of distinct labels plus this slack.
  public static let unusedClassSlack = 16

  /// Why a dataset whose labels are `0 ... largestLabel`, `distinctLabelCount` of them present, has an
  /// implausible class count; nil when it is plausible.
  ///
  /// - Returns: A phrase for a message, such as "label 100000000 is far beyond the 3 distinct labels
  ///   (...)".
  public static func classCountProblem(largestLabel: Int, distinctLabelCount: Int) -> String? {
    if largestLabel >= maximumClassCount {
      return
        "label \(largestLabel) is too large: labels are class indices 0–\(maximumClassCount - 1) "
        + "(at most \(maximumClassCount) classes)"
    }
    let classCount = largestLabel + 1
    guard classCount > 2 * distinctLabelCount + unusedClassSlack else { return nil }
    return
      "label \(largestLabel) is far beyond the \(distinctLabelCount) distinct labels: it would make "
      + "\(classCount) classes, most of them empty (expected class indices 0 to about "
      + "\(2 * distinctLabelCount + unusedClassSlack - 1))"
  }
}
