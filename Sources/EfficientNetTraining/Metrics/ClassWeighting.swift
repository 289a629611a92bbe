/// Class weights for the loss on imbalanced data.
public enum ClassWeighting {
  /// scikit-learn's "balanced" weights, `n_samples / (n_classes · count_c)`, where `n_classes` counts
  /// the classes that have samples; a class without samples gets weight 0 (it never is a target).
  ///
  /// - Parameter counts: samples per class (from ``LabeledDataset/classCounts(of:)``).
  /// - Returns: one weight per class.
  /// - Throws: ``TrainingError/invalidSetting(name:reason:)`` when no class has samples.
  public static func balanced(counts: [Int]) throws -> [Float] {
    let present = counts.filter { $0 > 0 }.count
    let total = counts.reduce(0, +)
    guard present > 0 else {
      throw TrainingError.invalidSetting(name: "class weights", reason: "the training data has no samples")
    }
    return counts.map { $0 > 0 ? Float(Double(total) / (Double(present) * Double($0))) : 0 }
  }
}
