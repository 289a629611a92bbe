import ArgumentParser
import EfficientNetTraining

/// The training recipe from `train`'s flags.
extension TrainCommand {
  /// Parses `--scale MIN,MAX` (0 < MIN ≤ MAX ≤ 1).
  static func parseScale(_ text: String) throws -> ClosedRange<Double> {
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low > 0, low <= high, high <= 1 else {
      throw ValidationError("--scale must be MIN,MAX with 0 < MIN <= MAX <= 1, got '\(text)'")
    }
    return low...high
  }

  /// The recipe from the flags.
  func makeRecipe() throws -> TrainingRecipe {
    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.learningRate = lr
    settings.optimizer = OptimizerKind(rawValue: optimizer)!
    settings.schedule = ScheduleKind(rawValue: schedule)!
    settings.warmupEpochs = warmupEpochs
    settings.weightDecay = weightDecay
    settings.labelSmoothing = labelSmoothing
    settings.gradientClipNorm = clipGrad
    settings.averageDecay = emaDecay
    settings.seed = seed
    settings.workers = workers
    settings.freezeEpochs = freezeEpochs
    settings.freezesBatchNormStatistics = freezeBn
    settings.layerDecay = layerDecay
    settings.backboneLearningRateScale = backboneLrScale
    try settings.validate()
    var recipe = TrainingRecipe()
    recipe.settings = settings
    recipe.resolution = resolution
    recipe.augments = !noAugmentation
    if let scale { recipe.cropAreaRange = try Self.parseScale(scale) }
    recipe.horizontalFlipProbability = hflip
    recipe.randAugment = randAugment
    recipe.dropout = drop
    recipe.dropPath = dropPath
    recipe.balancesClassWeights = classWeights == "balanced"
    return recipe
  }
}
