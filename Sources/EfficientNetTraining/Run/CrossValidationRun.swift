import EfficientNetFiles
import EfficientNetModels
import Foundation

/// Stratified K-fold cross-validation as runs of one recipe: fold `i` trains in `DIRECTORY/fold-i` on
/// the other folds and is evaluated on its own (with scores, for ROC AUC); the summary is written to
/// `DIRECTORY/cross_validation.json`.
public enum CrossValidationRun {
  /// What one fold's run measured on its held-out samples.
  public struct Fold {
    /// 1-based fold number.
    public var number: Int
    /// The fold's folder.
    public var directory: URL
    /// Held-out metrics (scores recorded).
    public var metrics: EvaluationMetrics
  }

  /// Runs every fold.
  ///
  /// - Parameters:
  ///   - dataset: all labeled samples.
  ///   - folds: K, in `2...dataset.count`.
  ///   - recipe: the recipe of every fold (its seed also orders the folds).
  ///   - directory: the parent of the fold folders.
  ///   - model: a fresh model for each fold (the same initialization every time).
  ///   - train: runs a fold's prepared run (a command line adds its progress display); by default
  ///     ``TrainingRun/run(progress:epochEnded:)``. Return `.interrupted` to stop.
  ///   - foldFinished: called with each fold's result.
  /// - Returns: the summary, or nil when a fold was interrupted.
  /// - Throws: ``TrainingError/invalidSetting(name:reason:)`` for more folds than samples, training
  ///   and file errors.
  public static func run(
    dataset: any LabeledDataset, folds: Int, recipe: TrainingRecipe, directory: URL,
    model: () throws -> EfficientNet,
    train: (TrainingRun, Int) throws -> TrainingOutcome = { run, _ in try run.run() },
    foldFinished: (Fold) -> Void = { _ in }
  ) throws -> CrossValidationSummary? {
    guard folds >= 2 && folds <= dataset.count else {
      throw TrainingError.invalidSetting(
        name: "folds",
        reason: "\(folds) folds need 2...\(dataset.count) samples, the data has \(dataset.count)")
    }
    let labels = (0..<dataset.count).map { dataset.label(at: $0) }
    let splits = CrossValidation.stratifiedFolds(labels: labels, folds: folds, seed: recipe.settings.seed)
    var summary = CrossValidationSummary()
    for (index, split) in splits.enumerated() {
      let folder = directory.appendingPathComponent("fold-\(index + 1)")
      let run = try TrainingRun(
        model: try model(), recipe: recipe,
        data: TrainingData(
          dataset: dataset, trainingIndices: split.training, validationIndices: split.validation),
        directory: folder)
      guard try train(run, index + 1) == .completed else { return nil }
      guard let loader = run.loaders.validation else { continue }
      let metrics = try Evaluation.run(model: try run.model(), data: loader, recordingScores: true)
      summary.add(metrics)
      foldFinished(Fold(number: index + 1, directory: folder, metrics: metrics))
    }
    let summaryURL = directory.appendingPathComponent("cross_validation.json")
    do {
      try AtomicFile.write(
        [try JSONSerialization.data(withJSONObject: summary.record, options: [.sortedKeys, .prettyPrinted])],
        to: summaryURL)
    } catch let error as FileAccessError {
      throw TrainingError.cannotWrite(summaryURL.path, reason: error.reason)
    }
    return summary
  }
}
