import ArgumentParser
import EfficientNetModels
import EfficientNetTraining
import Foundation

/// The training recipe from `train`'s flags: a named recipe, each value a flag gives overriding it.
extension TrainCommand {
  /// The checkpoint metadata key of the resolved settings and their sources (JSON).
  static let resolvedSettingsMetadataKey = "train.settings"

  /// Parses `--scale MIN,MAX` (0 < MIN ≤ MAX ≤ 1).
  static func parseScale(_ text: String) throws -> ClosedRange<Double> {
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low > 0, low <= high, high <= 1 else {
      throw ValidationError("--scale must be MIN,MAX with 0 < MIN <= MAX <= 1, got '\(text)'")
    }
    return low...high
  }

  /// A detector's `--scale MIN,MAX`: the range of the factor applied to the fit-to-input size before
  /// the crop or pad (effdet's `RandomResizePad` scale).
  static func parseScaleJitter(_ text: String) throws -> ClosedRange<Double> {
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low > 0, low <= high, high <= 10 else {
      throw ValidationError("--scale must be MIN,MAX with 0 < MIN <= MAX <= 10 for a detector, got '\(text)'")
    }
    return low...high
  }

  /// The recipe the run uses: `--recipe`, else fine-tuning from pretrained weights, else scratch.
  var recipeName: RecipeName {
    recipe.flatMap(RecipeName.init(rawValue:))
      ?? .default(startsFromPretrainedWeights: weights != nil || startsFromPublishedWeights)
  }

  /// Whether the run starts from published weights (`--pretrained` or `--pretrained-entry`).
  var startsFromPublishedWeights: Bool { pretrained || pretrainedEntry != nil }

  /// The weights the run starts from: `--weights`, or with `--pretrained` the model's published ones
  /// (fetched into the cache the first time; see ``PretrainedLoading``), with the batch-norm epsilon
  /// their publisher's model uses when it is not the variant's.
  func startingWeights() throws -> (path: String, batchNormEpsilon: Double?)? {
    try PretrainedLoading.checkExclusive(pretrained: startsFromPublishedWeights, weights: weights)
    if let weights { return (weights, nil) }
    guard startsFromPublishedWeights else { return nil }
    let (file, entry) = try PretrainedLoading.fetch(model: model, entryName: pretrainedEntry)
    return (file.path, entry.batchNormEpsilon)
  }

  /// The values the flags give explicitly.
  func overrides() throws -> RecipeOverrides {
    var overrides = RecipeOverrides()
    overrides.epochs = epochs
    overrides.batchSize = batchSize
    overrides.learningRate = lr
    overrides.optimizer = optimizer.flatMap(OptimizerKind.init(rawValue:))
    overrides.schedule = schedule.flatMap(ScheduleKind.init(rawValue:))
    overrides.warmupEpochs = warmupEpochs
    overrides.weightDecay = weightDecay
    overrides.labelSmoothing = labelSmoothing
    overrides.augments = noAugmentation ? false : nil
    overrides.cropAreaRange = try scale.map(Self.parseScale)
    overrides.horizontalFlipProbability = hflip
    overrides.randAugment = randAugment
    overrides.dropout = drop
    overrides.dropPath = dropPath
    overrides.freezeEpochs = freezeEpochs
    overrides.resolution = resolution
    return overrides
  }

  /// The configuration the recipe is resolved against (the model's resolution, dropout, drop-path).
  func baseConfiguration() throws -> Configuration {
    try scaling.apply(to: ModelRegistry.configuration(named: model))
  }

  /// The run's recipe and every setting's source, from the named recipe and the flags.
  func makeRecipe() throws -> ResolvedRecipe {
    var resolved = RecipePreset.named(recipeName).resolve(try overrides(), model: try baseConfiguration())
    var settings = resolved.recipe.settings
    settings.gradientClipNorm = clipGrad
    settings.averageDecay = emaDecay
    settings.seed = seed
    settings.workers = workers
    settings.freezesBatchNormStatistics = freezeBn
    settings.layerDecay = layerDecay
    settings.backboneLearningRateScale = backboneLrScale
    try settings.validate()
    resolved.recipe.settings = settings
    resolved.recipe.balancesClassWeights = classWeights == "balanced"
    let given: [(String, String?)] = [
      ("clip-grad", clipGrad.map { "\($0)" }), ("ema-decay", emaDecay.map { "\($0)" }),
      ("freeze-bn", freezeBn ? "true" : nil), ("layer-decay", layerDecay.map { "\($0)" }),
      ("backbone-lr-scale", backboneLrScale == 1 ? nil : "\(backboneLrScale)"),
      ("class-weights", classWeights == "none" ? nil : classWeights),
    ]
    for case (let name, let value?) in given {
      resolved.settings.append(ResolvedSetting(name: name, value: value, source: .flag))
    }
    return resolved
  }

  /// The table `train` prints at the start: one setting a line, with its source.
  static func settingsTable(_ resolved: ResolvedRecipe) -> String {
    let rows = resolved.settings.map { setting in
      (setting.name, setting.value, setting.source + (setting.detail.map { ": \($0)" } ?? ""))
    }
    let nameWidth = rows.map(\.0.count).max() ?? 0
    let valueWidth = rows.map(\.1.count).max() ?? 0
    func padded(_ text: String, _ width: Int) -> String {
      text + String(repeating: " ", count: max(0, width - text.count))
    }
    return "settings (recipe \(resolved.preset.name.rawValue); a flag overrides any of them):\n"
      + rows.map { "  \(padded($0.0, nameWidth))  \(padded($0.1, valueWidth))  \($0.2)" }
      .joined(separator: "\n") + "\n"
  }

  /// The resolved settings as checkpoint metadata (JSON array).
  static func encodedSettings(_ resolved: ResolvedRecipe) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(resolved.settings), as: UTF8.self)
  }
}
