import Foundation

/// The output folder's guard: a run never starts over one that is already there unless told to.
extension TrainCommand {
  /// What shows that `folder` already holds a run ("checkpoint.safetensors at epoch 3", "metrics.jsonl"),
  /// or nil when it holds none (a cross-validation's folds are looked at too).
  static func existingRun(in folder: String, folds: Int?) -> String? {
    let folders = [folder] + (folds.map { (1...$0).map { "\(folder)/fold-\($0)" } } ?? [])
    for candidate in folders {
      for name in ["checkpoint.safetensors", "metrics.jsonl", "cross_validation.json"] {
        let path = "\(candidate)/\(name)"
        if FileManager.default.fileExists(atPath: path) { return path }
      }
    }
    return nil
  }
}
