import EfficientNetModels
import Foundation

/// One training run as a library type: a recipe, a model and data become loaders, a ``Trainer`` with
/// its checkpoints and `metrics.jsonl` in a folder, and typed epoch records in memory.
///
/// ```swift
/// var recipe = TrainingRecipe()
/// recipe.settings.epochs = 5
/// let run = try TrainingRun(model: model, recipe: recipe, data: data, directory: folder)
/// _ = try run.run()
/// print(run.history.last?.validationTop1 ?? 0)
/// ```
public final class TrainingRun {
  /// The recipe the run was built from.
  public let recipe: TrainingRecipe
  /// The settings in force (the recipe's, with balanced class weights filled in when asked for).
  public let settings: TrainingSettings
  /// The loop, its model and its optimizer.
  public let trainer: Trainer
  /// The training and validation batches.
  public let loaders: RunLoaders
  /// The side length images are trained and validated at.
  public let side: Int

  /// The checkpoint metadata key holding the recipe (JSON).
  public static let recipeMetadataKey = "run.recipe"

  /// Prepares a run of `model` in `directory` (continuing its checkpoint when `resume` is set and
  /// there is one).
  ///
  /// - Parameters:
  ///   - model: the model to train (for fine-tuning, the pretrained one with its new classifier);
  ///     build it with ``TrainingRecipe/regularized(_:)`` applied to its configuration.
  ///   - recipe: the settings, augmentation and regularization.
  ///   - data: the training and validation samples.
  ///   - directory: where checkpoints, weights and metrics go.
  ///   - resume: continue from `directory/checkpoint.safetensors` when it exists.
  ///   - metadata: more entries for every checkpoint (a command line stores its arguments there).
  /// - Throws: ``TrainingError`` for a bad setting or folder, or a checkpoint that does not fit.
  public init(
    model: EfficientNet, recipe: TrainingRecipe, data: TrainingData, directory: URL, resume: Bool = false,
    metadata: [String: String] = [:]
  ) throws {
    self.recipe = recipe
    var settings = recipe.settings
    let classes = model.configuration.classCount
    if recipe.balancesClassWeights {
      var counts = data.dataset.classCounts(of: data.trainingIndices)
      counts += [Int](repeating: 0, count: max(0, classes - counts.count))
      settings.classWeights = try ClassWeighting.balanced(counts: Array(counts.prefix(classes)))
    }
    self.settings = settings
    side = recipe.side(for: model.configuration)
    let (training, evaluation) = try recipe.augmentations(for: model.configuration)
    loaders = RunLoaders(
      dataset: data.dataset, trainingIndices: data.trainingIndices, validationIndices: data.validationIndices,
      validationSet: data.validationDataset, training: training, evaluation: evaluation,
      batchSize: settings.batchSize, seed: settings.seed, workers: settings.workers)
    trainer = try Trainer(
      model: model, settings: settings, trainingData: loaders.training, validationData: loaders.validation,
      directory: directory, resume: resume)
    var stored = metadata
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    stored[Self.recipeMetadataKey] = String(decoding: try encoder.encode(recipe), as: UTF8.self)
    trainer.extraMetadata = stored
  }

  /// Trains until every epoch is done or an interruption is requested, rewriting the folder's
  /// ``TrainingCurves/fileName`` after each epoch (a picture that cannot be written is warned about
  /// once on standard error; training goes on).
  ///
  /// - Parameters:
  ///   - progress: called after every step.
  ///   - epochEnded: called with each epoch's record.
  /// - Returns: whether the run completed or was interrupted (its checkpoint then holds the step).
  /// - Throws: ``TrainingError`` (a non-finite loss keeps the last good checkpoint) or a file error.
  @discardableResult
  public func run(
    progress: (TrainingProgress) -> Void = { _ in }, epochEnded: (EpochRecord) -> Void = { _ in }
  ) throws -> TrainingOutcome {
    let curves = trainer.directory.appendingPathComponent(TrainingCurves.fileName)
    var warned = false
    return try trainer.run(progress: progress) { record in
      do {
        try TrainingCurves.write(trainer.history, to: curves)
      } catch {
        if !warned {
          FileHandle.standardError.write(
            Data("warning: \(error); training goes on without the picture\n".utf8))
          warned = true
        }
      }
      epochEnded(record)
    }
  }

  /// Every completed epoch's record, earlier sessions of a resumed run included.
  public var history: [EpochRecord] { trainer.history }

  /// The current weights as a model.
  public func model() throws -> EfficientNet { try trainer.graph.model() }

  /// The checkpoint metadata of the run in `directory` (nil when there is no checkpoint).
  ///
  /// - Throws: ``TrainingError/invalidCheckpoint(_:reason:)`` for a file that is not a checkpoint.
  public static func storedMetadata(in directory: URL) throws -> [String: String]? {
    let url = directory.appendingPathComponent("checkpoint.safetensors")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    return try TrainingCheckpoint(contentsOf: url).metadata
  }
}
