import EfficientNetModels
import EfficientNetTraining
import Foundation

/// The data and recipe every candidate of a search is trained with.
public struct SearchTrainingSetup {
  /// The labeled images.
  public var dataset: any LabeledDataset
  /// Indices of `dataset` to train on.
  public var trainingIndices: [Int]
  /// The validation set: indices of `dataset`, or a separate dataset (all of it).
  public var validationIndices: [Int]
  /// A separate validation dataset; when set, `validationIndices` is ignored.
  public var validationDataset: (any LabeledDataset)?
  /// The optimizer, schedule, epochs, batch size and seed (the same for every candidate).
  public var settings: TrainingSettings
  /// Random-resized crop and flip when training; false resizes whole images (digits).
  public var augment: Bool
  /// Dropout before the classifier and the stochastic-depth rate (nil: the baseline's).
  public var dropout: Double?, dropPath: Double?

  /// Creates a setup.
  public init(
    dataset: any LabeledDataset, trainingIndices: [Int], validationIndices: [Int],
    validationDataset: (any LabeledDataset)? = nil, settings: TrainingSettings, augment: Bool,
    dropout: Double? = nil, dropPath: Double? = nil
  ) {
    self.dataset = dataset
    self.trainingIndices = trainingIndices
    self.validationIndices = validationIndices
    self.validationDataset = validationDataset
    self.settings = settings
    self.augment = augment
    self.dropout = dropout
    self.dropPath = dropPath
  }
}

/// The paper's compound-scaling grid search: every candidate (α, β, γ) scales the baseline to φ = 1,
/// is trained with the same recipe and seed, and is recorded in `DIR/results.jsonl` as it finishes.
/// Running the same search again skips finished candidates and resumes an interrupted one from its
/// checkpoint (`DIR/runs/LABEL/`).
public final class ScalingSearch {
  /// The baseline (φ = 0) at its base resolution, with the class count and input channels set.
  public let baseline: Configuration
  /// The candidates, in order.
  public let candidates: [ScalingCandidate]
  /// The search folder.
  public let directory: URL
  /// `DIR/results.jsonl`.
  public var results: SearchResultsFile {
    SearchResultsFile(url: directory.appendingPathComponent("results.jsonl"))
  }

  /// Prepares a search in `directory`, checking that a search already there used the same settings.
  ///
  /// - Parameters:
  ///   - settings: What defines the search (baseline, grid, recipe, data), stored in `DIR/search.json`;
  ///     a folder whose stored settings differ is refused.
  /// - Throws: ``SearchError`` for a folder that cannot be written or holds another search;
  ///   `ArchitectureError` for a baseline that does not resolve.
  public init(
    baseline: Configuration, candidates: [ScalingCandidate], directory: URL, settings: [String: String]
  ) throws {
    _ = try baseline.resolve()
    self.baseline = baseline
    self.candidates = candidates
    self.directory = directory
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw SearchError.file(
        directory.path, "cannot create the search folder (\(error.localizedDescription))")
    }
    let stored = directory.appendingPathComponent("search.json")
    if let data = try? Data(contentsOf: stored) {
      guard let previous = try? JSONDecoder().decode([String: String].self, from: data) else {
        throw SearchError.file(stored.path, "is not a search settings file")
      }
      let keys = Set(previous.keys).union(settings.keys).sorted()
      let differences = keys.filter { previous[$0] != settings[$0] }.map {
        "\($0): \(previous[$0] ?? "unset") before, \(settings[$0] ?? "unset") now"
      }
      if !differences.isEmpty {
        throw SearchError.settingsChanged(directory: directory.path, differences: differences)
      }
    } else {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
      do {
        try encoder.encode(settings).write(to: stored, options: .atomic)
      } catch {
        throw SearchError.file(stored.path, "cannot write (\(error.localizedDescription))")
      }
    }
  }

  /// The φ = 1 configuration of a candidate: depth ×α, width ×β, resolution `round(R·γ)`.
  public func configuration(for candidate: ScalingCandidate) throws -> Configuration {
    var scaled = try ModelRegistry.compoundScaled(phi: 1, scaling: candidate.scaling, base: baseline)
    scaled.name = baseline.name + "-" + candidate.label
    return scaled
  }

  /// The baseline's multiply-accumulates per image.
  public func baselineMACs() throws -> Int { try baseline.resolve().cost().multiplyAccumulates }

  /// Trains every candidate not yet in `results.jsonl`, in order.
  ///
  /// - Parameters:
  ///   - setup: The data and recipe.
  ///   - starting: Called before a candidate trains (its index, the candidate, whether it resumes).
  ///   - progress: Called after every training step.
  ///   - finished: Called with each new record.
  /// - Returns: false when an interruption (Ctrl-C) stopped it; the interrupted candidate's
  ///   checkpoint is in its folder and the next run resumes it.
  /// - Throws: training, data and file errors.
  @discardableResult
  public func run(
    setup: SearchTrainingSetup, starting: (Int, ScalingCandidate, Bool) -> Void = { _, _, _ in },
    progress: (TrainingProgress) -> Void = { _ in }, finished: (SearchRecord) -> Void = { _ in }
  ) throws -> Bool {
    let baseMACs = try baselineMACs()
    let done = Set(try results.records().map(\.label))
    for (index, candidate) in candidates.enumerated() where !done.contains(candidate.label) {
      let configuration = try configuration(for: candidate)
      let cost = try configuration.resolve().cost()
      let folder = directory.appendingPathComponent("runs").appendingPathComponent(candidate.label)
      let resuming = FileManager.default.fileExists(
        atPath: folder.appendingPathComponent("checkpoint.safetensors").path)
      starting(index, candidate, resuming)
      guard let trained = try Self.train(configuration, setup: setup, directory: folder, progress: progress)
      else { return false }
      let record = SearchRecord(
        label: candidate.label, kind: candidate.kind.rawValue, alpha: candidate.alpha, beta: candidate.beta,
        gamma: candidate.gamma, flopsFactor: candidate.flopsFactor, macs: cost.multiplyAccumulates,
        macsRatio: Double(cost.multiplyAccumulates) / Double(baseMACs), parameters: cost.parameters,
        resolution: configuration.resolution, widthMultiplier: configuration.widthMultiplier,
        depthMultiplier: configuration.depthMultiplier, validationTop1: trained.top1,
        validationLoss: trained.loss, trainingSeconds: trained.seconds, epochs: setup.settings.epochs)
      try results.append(record)
      finished(record)
    }
    return true
  }

  /// Trains one configuration from its seeded initialization (resuming a checkpoint in `directory`).
  ///
  /// - Returns: The last epoch's validation top-1 and loss and the summed epoch times, or nil when
  ///   interrupted.
  public static func train(
    _ configuration: Configuration, setup: SearchTrainingSetup, directory: URL,
    progress: (TrainingProgress) -> Void = { _ in }
  ) throws -> (top1: Double, loss: Double, seconds: Double)? {
    var configuration = configuration
    if let dropout = setup.dropout { configuration.dropoutRate = dropout }
    if let dropPath = setup.dropPath { configuration.dropConnectRate = dropPath }
    let model = EfficientNet(architecture: try configuration.resolve(), seed: setup.settings.seed)
    let side = configuration.resolution
    let preprocessing = configuration.preprocessing
    let training = AugmentationConfiguration.training(
      resolution: side, outputChannels: configuration.inputChannels,
      randomResizedCrop: setup.augment ? RandomResizedCropConfiguration() : nil,
      horizontalFlipProbability: setup.augment ? 0.5 : 0, mean: preprocessing.mean,
      standardDeviation: preprocessing.standardDeviation)
    let evaluation = AugmentationConfiguration.evaluation(
      resolution: side, outputChannels: configuration.inputChannels,
      cropFraction: setup.augment ? preprocessing.cropFraction : 1, mean: preprocessing.mean,
      standardDeviation: preprocessing.standardDeviation)
    let settings = setup.settings
    let loaders = RunLoaders(
      dataset: setup.dataset, trainingIndices: setup.trainingIndices,
      validationIndices: setup.validationIndices,
      validationSet: setup.validationDataset, training: training, evaluation: evaluation,
      batchSize: settings.batchSize, seed: settings.seed, workers: settings.workers)
    let trainer = try Trainer(
      model: model, settings: settings, trainingData: loaders.training, validationData: loaders.validation,
      directory: directory, resume: true)
    guard try trainer.run(progress: progress) == .completed else { return nil }
    let lines = try String(contentsOf: trainer.metricsURL, encoding: .utf8).split(separator: "\n")
    var seconds = 0.0
    var last: [String: Any] = [:]
    for line in lines {
      guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        continue
      }
      seconds += record["seconds"] as? Double ?? 0
      last = record
    }
    guard let top1 = last["val_top1"] as? Double, let loss = last["val_loss"] as? Double else {
      throw SearchError.file(trainer.metricsURL.path, "has no validation metrics")
    }
    return (top1, loss, seconds)
  }

  /// The best compound candidate: highest validation top-1, then fewest MACs.
  public static func chosen(_ records: [SearchRecord]) -> SearchRecord? {
    records.filter { $0.kind == ScalingCandidate.Kind.compound.rawValue }.min {
      ($0.validationTop1, -$0.macs) > ($1.validationTop1, -$1.macs)
    }
  }
}
