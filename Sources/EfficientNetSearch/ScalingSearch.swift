import EfficientNetFiles
import EfficientNetModels
import EfficientNetTraining
import Foundation

/// The data and recipe every candidate of a search is trained with.
public struct SearchTrainingSetup {
  /// The training and validation samples.
  public var data: TrainingData
  /// The recipe (the same for every candidate; each trains at its own resolution).
  public var recipe: TrainingRecipe

  /// A setup from the samples and the recipe.
  public init(data: TrainingData, recipe: TrainingRecipe) {
    self.data = data
    self.recipe = recipe
  }

  /// A setup from its parts: the optimizer settings, whether to augment (random-resized crop and
  /// flip; false resizes whole images), and the dropout and stochastic-depth rates (nil: the
  /// baseline's).
  public init(
    dataset: any LabeledDataset, trainingIndices: [Int], validationIndices: [Int],
    validationDataset: (any LabeledDataset)? = nil, settings: TrainingSettings, augment: Bool,
    dropout: Double? = nil, dropPath: Double? = nil
  ) {
    var recipe = TrainingRecipe()
    recipe.settings = settings
    recipe.augments = augment
    recipe.dropout = dropout
    recipe.dropPath = dropPath
    self.init(
      data: TrainingData(
        dataset: dataset, trainingIndices: trainingIndices, validationIndices: validationIndices,
        validationDataset: validationDataset),
      recipe: recipe)
  }

  /// The optimizer settings of every candidate.
  public var settings: TrainingSettings { recipe.settings }
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
        try AtomicFile.write([try encoder.encode(settings)], to: stored)
      } catch let error as FileAccessError {
        throw SearchError.file(stored.path, "cannot write (\(error.reason))")
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
  /// - Returns: The last epoch's validation top-1 and loss and the summed epoch times, from the run's
  ///   records in memory; nil when interrupted.
  /// - Throws: ``SearchError`` when the run has no validation data; training and file errors.
  public static func train(
    _ configuration: Configuration, setup: SearchTrainingSetup, directory: URL,
    progress: (TrainingProgress) -> Void = { _ in }
  ) throws -> (top1: Double, loss: Double, seconds: Double)? {
    let regularized = setup.recipe.regularized(configuration)
    let model = EfficientNet(architecture: try regularized.resolve(), seed: setup.settings.seed)
    let run = try TrainingRun(
      model: model, recipe: setup.recipe, data: setup.data, directory: directory, resume: true)
    guard try run.run(progress: progress) == .completed else { return nil }
    guard let last = run.history.last, let top1 = last.validationTop1, let loss = last.validationLoss else {
      throw SearchError.file(directory.path, "the candidate's run has no validation metrics")
    }
    return (top1, loss, run.history.reduce(0) { $0 + $1.seconds })
  }

  /// The best compound candidate: highest validation top-1, then fewest MACs.
  public static func chosen(_ records: [SearchRecord]) -> SearchRecord? {
    records.filter { $0.kind == ScalingCandidate.Kind.compound.rawValue }.min {
      ($0.validationTop1, -$0.macs) > ($1.validationTop1, -$1.macs)
    }
  }
}
