import EfficientNetModels

/// Values a caller sets explicitly (a command line's flags); each one given wins over its recipe.
public struct RecipeOverrides: Sendable, Equatable {
  /// Passes over the training data (default 10) and images per step (default 32).
  public var epochs: Int?, batchSize: Int?
  /// The peak learning rate, exactly (no batch scaling).
  public var learningRate: Float?
  /// The optimizer and the schedule after warm-up.
  public var optimizer: OptimizerKind?, schedule: ScheduleKind?
  /// Warm-up epochs, weight decay and label smoothing.
  public var warmupEpochs: Double?, weightDecay: Double?, labelSmoothing: Double?
  /// false: no crop or flip, whole images when training and validating (`--no-augmentation`).
  public var augments: Bool?
  /// The random-resized crop's area range (turns the crop on).
  public var cropAreaRange: ClosedRange<Double>?
  /// Horizontal-flip probability.
  public var horizontalFlipProbability: Double?
  /// RandAugment as timm writes it.
  public var randAugment: String?
  /// Dropout before the classifier and the last block's stochastic-depth rate.
  public var dropout: Double?, dropPath: Double?
  /// Classifier-only epochs at the start.
  public var freezeEpochs: Int?
  /// The training and validation resolution.
  public var resolution: Int?

  /// No overrides: every value from the recipe or the model.
  public init() {}
}

/// Where a resolved setting came from.
public enum SettingSource: Sendable, Equatable, Codable, CustomStringConvertible {
  /// A flag (an explicit override).
  case flag
  /// The named recipe.
  case recipe(RecipeName)
  /// The model's configuration.
  case model
  /// The tool's default, the same for every recipe (epochs, batch size, another optimizer's rate).
  case standard

  /// "flag", "recipe finetune", "model" or "default".
  public var description: String {
    switch self {
    case .flag: return "flag"
    case .recipe(let name): return "recipe \(name.rawValue)"
    case .model: return "model"
    case .standard: return "default"
    }
  }
}

/// One setting of a run, as it is printed at the start and stored in the checkpoint.
public struct ResolvedSetting: Sendable, Equatable, Codable {
  /// The setting, named as its flag is without the dashes (`lr`, `warmup-epochs`).
  public var name: String
  /// Its value, as text.
  public var value: String
  /// Where the value came from ("flag", "recipe finetune", "model", "default").
  public var source: String
  /// How it was derived, when that is not obvious (a batch-scaled rate, a share of the epochs).
  public var detail: String?

  /// Creates a row.
  public init(name: String, value: String, source: SettingSource, detail: String? = nil) {
    self.name = name
    self.value = value
    self.source = source.description
    self.detail = detail
  }
}

/// A recipe made concrete for one model: the ``TrainingRecipe`` to run and every setting in it with
/// its source.
public struct ResolvedRecipe: Sendable {
  /// The recipe the defaults came from.
  public var preset: RecipePreset
  /// The run's recipe (its settings' seed, workers and fine-tuning switches left at their defaults
  /// for the caller to set).
  public var recipe: TrainingRecipe
  /// Each setting with where it came from, in the order a person reads them.
  public var settings: [ResolvedSetting]

  /// Uses batches of `count` (a training set smaller than the batch); a batch-scaled rate follows.
  public mutating func clampBatchSize(to count: Int) {
    recipe.settings.batchSize = count
    for index in settings.indices {
      switch settings[index].name {
      case "batch-size":
        settings[index].value = String(count)
        settings[index].detail = "clamped to the training set"
      case "lr" where recipe.settings.learningRate == nil:
        settings[index].value = String(recipe.settings.resolvedLearningRate)
      default: break
      }
    }
  }
}

extension RecipePreset {
  /// This recipe with `overrides` applied, for `model` (whose resolution, dropout and drop-path fill
  /// what neither gives).
  public func resolve(_ overrides: RecipeOverrides, model: Configuration) -> ResolvedRecipe {
    var rows: [ResolvedSetting] = []
    let own = SettingSource.recipe(name)
    func pick<Value>(_ given: Value?, _ fallback: Value, _ source: SettingSource) -> (Value, SettingSource) {
      given.map { ($0, .flag) } ?? (fallback, source)
    }
    func add(_ name: String, _ value: String, _ source: SettingSource, _ detail: String? = nil) {
      rows.append(ResolvedSetting(name: name, value: value, source: source, detail: detail))
    }
    var settings = TrainingSettings()
    var recipe = TrainingRecipe()

    let (epochs, epochsSource) = pick(overrides.epochs, settings.epochs, .standard)
    settings.epochs = epochs
    add("epochs", String(epochs), epochsSource)
    let (batch, batchSource) = pick(overrides.batchSize, settings.batchSize, .standard)
    settings.batchSize = batch
    add("batch-size", String(batch), batchSource)
    let (optimizer, optimizerSource) = pick(overrides.optimizer, self.optimizer, own)
    settings.optimizer = optimizer
    add("optimizer", optimizer.rawValue, optimizerSource)
    if let rate = overrides.learningRate {
      settings.learningRate = rate
      add("lr", String(rate), .flag)
    } else {
      let scaling = optimizer == self.optimizer ? learningRate : .standard(for: optimizer)
      settings.learningRateScaling = scaling
      add(
        "lr", String(scaling.rate(batchSize: batch)), optimizer == self.optimizer ? own : .standard,
        scaling.explanation)
    }
    let (schedule, scheduleSource) = pick(overrides.schedule, self.schedule, own)
    settings.schedule = schedule
    add("schedule", schedule.rawValue, scheduleSource)
    if let warmup = overrides.warmupEpochs {
      settings.warmupEpochs = warmup
      add("warmup-epochs", String(warmup), .flag)
    } else {
      settings.warmupEpochs = warmupFraction * Double(epochs)
      add(
        "warmup-epochs", String(settings.warmupEpochs), own,
        warmupFraction > 0 ? "\(Int((warmupFraction * 100).rounded()))% of \(epochs) epochs" : nil)
    }
    let (decay, decaySource) = pick(overrides.weightDecay, weightDecay, own)
    settings.weightDecay = decay
    add("weight-decay", String(decay), decaySource)
    let (smoothing, smoothingSource) = pick(overrides.labelSmoothing, labelSmoothing, own)
    settings.labelSmoothing = smoothing
    add("label-smoothing", String(smoothing), smoothingSource)
    let (frozen, frozenSource) = pick(overrides.freezeEpochs, freezeEpochs, own)
    settings.freezeEpochs = frozen
    add("freeze-epochs", String(frozen), frozenSource)
    recipe.settings = settings

    resolveAugmentation(overrides, into: &recipe, add: add)
    let (dropout, dropoutSource) =
      overrides.dropout.map { ($0, SettingSource.flag) }
      ?? self.dropout.map { ($0, own) } ?? (model.dropoutRate, .model)
    recipe.dropout = dropout
    add("drop", String(dropout), dropoutSource)
    let (dropPath, dropPathSource) =
      overrides.dropPath.map { ($0, SettingSource.flag) }
      ?? self.dropPath.map { ($0, own) } ?? (model.dropConnectRate, .model)
    recipe.dropPath = dropPath
    add("drop-path", String(dropPath), dropPathSource)
    recipe.resolution = overrides.resolution
    add(
      "resolution", String(overrides.resolution ?? model.resolution),
      overrides.resolution == nil ? .model : .flag)
    return ResolvedRecipe(preset: self, recipe: recipe, settings: rows)
  }

  /// The crop, flip and RandAugment of `overrides` over this recipe's, into `recipe`.
  private func resolveAugmentation(
    _ overrides: RecipeOverrides, into recipe: inout TrainingRecipe,
    add: (String, String, SettingSource, String?) -> Void
  ) {
    let own = SettingSource.recipe(name)
    if overrides.augments == false {
      recipe.augments = false
      add("crop", "none (whole images)", .flag, "--no-augmentation")
    } else if let range = overrides.cropAreaRange {
      recipe.augments = true
      recipe.cropAreaRange = range
      add("scale", "\(range.lowerBound),\(range.upperBound)", .flag, "random-resized crop area")
    } else if let range = cropAreaRange {
      recipe.augments = true
      recipe.cropAreaRange = range
      add("scale", "\(range.lowerBound),\(range.upperBound)", own, "random-resized crop area")
    } else {
      recipe.augments = false
      add("crop", "none (whole images)", own, nil)
    }
    let flip: Double, flipSource: SettingSource
    if let given = overrides.horizontalFlipProbability {
      (flip, flipSource) = (given, .flag)
    } else if overrides.augments == false {
      (flip, flipSource) = (0, .flag)
    } else {
      (flip, flipSource) = (horizontalFlipProbability, own)
    }
    recipe.horizontalFlipProbability = flip
    add("hflip", String(flip), flipSource, nil)
    let randAugment = overrides.randAugment ?? self.randAugment
    recipe.randAugment = randAugment
    add("rand-augment", randAugment ?? "none", overrides.randAugment == nil ? own : .flag, nil)
  }
}
