import EfficientNetModels
import EfficientNetTraining
import XCTest

/// The named recipes: each value from the recipe, a flag or the model, with its source; the paper
/// recipe is the defaults training always had.
final class RecipeTests: XCTestCase {
  private func lite0() throws -> Configuration { try ModelRegistry.configuration(named: "lite0") }

  private func row(_ name: String, in resolved: ResolvedRecipe) -> ResolvedSetting? {
    resolved.settings.first { $0.name == name }
  }

  func testTheDefaultIsFinetuneFromPretrainedWeightsAndScratchOtherwise() {
    XCTAssertEqual(RecipeName.default(startsFromPretrainedWeights: true), .finetune)
    XCTAssertEqual(RecipeName.default(startsFromPretrainedWeights: false), .scratch)
  }

  func testEveryValueComesFromTheRecipeOrTheModelWithoutFlags() throws {
    let preset = RecipePreset.finetune
    let resolved = preset.resolve(RecipeOverrides(), model: try lite0())
    let settings = resolved.recipe.settings
    XCTAssertEqual(settings.optimizer, preset.optimizer)
    XCTAssertEqual(settings.resolvedLearningRate, preset.learningRate.rate(batchSize: 32))
    XCTAssertEqual(settings.warmupEpochs, preset.warmupFraction * 10, accuracy: 1e-12)
    XCTAssertEqual(settings.weightDecay, preset.weightDecay)
    XCTAssertEqual(settings.labelSmoothing, preset.labelSmoothing)
    XCTAssertEqual(settings.freezeEpochs, preset.freezeEpochs)
    XCTAssertEqual(resolved.recipe.dropout, preset.dropout)
    XCTAssertEqual(resolved.recipe.horizontalFlipProbability, preset.horizontalFlipProbability)
    XCTAssertEqual(resolved.recipe.augments, preset.cropAreaRange != nil)
    for name in ["optimizer", "lr", "schedule", "warmup-epochs", "weight-decay", "label-smoothing", "hflip"] {
      XCTAssertEqual(row(name, in: resolved)?.source, "recipe finetune", name)
    }
    XCTAssertEqual(row("epochs", in: resolved)?.source, "default")
    XCTAssertEqual(row("resolution", in: resolved)?.value, "224")
    XCTAssertEqual(row("resolution", in: resolved)?.source, "model")
    // The paper recipe leaves dropout to the model: Lite0's 0.2.
    let paper = RecipePreset.paper.resolve(RecipeOverrides(), model: try lite0())
    XCTAssertEqual(paper.recipe.dropout, 0.2)
    XCTAssertEqual(row("drop", in: paper)?.source, "model")
  }

  func testAFlagOverridesItsRecipeValueAndOnlyThat() throws {
    var overrides = RecipeOverrides()
    overrides.weightDecay = 0.5
    overrides.augments = false
    overrides.epochs = 4
    let resolved = RecipePreset.finetune.resolve(overrides, model: try lite0())
    XCTAssertEqual(resolved.recipe.settings.weightDecay, 0.5)
    XCTAssertEqual(row("weight-decay", in: resolved)?.source, "flag")
    XCTAssertFalse(resolved.recipe.augments)
    XCTAssertEqual(resolved.recipe.horizontalFlipProbability, 0)
    XCTAssertEqual(row("hflip", in: resolved)?.source, "flag")
    // The warm-up share follows the epochs the flag gave.
    XCTAssertEqual(
      resolved.recipe.settings.warmupEpochs, RecipePreset.finetune.warmupFraction * 4, accuracy: 1e-12)
    XCTAssertEqual(row("optimizer", in: resolved)?.source, "recipe finetune")
  }

  func testAnotherOptimizerGetsItsStandardRateAndAGivenRateIsUsedAsGiven() throws {
    var overrides = RecipeOverrides()
    overrides.optimizer = .sgd
    overrides.batchSize = 64
    let sgd = RecipePreset.finetune.resolve(overrides, model: try lite0())
    XCTAssertEqual(sgd.recipe.settings.resolvedLearningRate, 0.1 * 64 / 256, accuracy: 1e-7)
    XCTAssertEqual(row("lr", in: sgd)?.source, "default")
    overrides.learningRate = 0.3
    let given = RecipePreset.finetune.resolve(overrides, model: try lite0())
    XCTAssertEqual(given.recipe.settings.resolvedLearningRate, 0.3)
    XCTAssertEqual(row("lr", in: given)?.source, "flag")
  }

  func testTheRateFollowsTheBatchSizeByItsRuleAndAClampedBatch() throws {
    let rule = LearningRateScaling(base: 0.01, referenceBatch: 32, rule: .squareRoot)
    XCTAssertEqual(rule.rate(batchSize: 128), 0.02, accuracy: 1e-7)
    XCTAssertEqual(LearningRateScaling.standard(for: .rmsprop).rate(batchSize: 512), 0.032, accuracy: 1e-7)
    XCTAssertEqual(LearningRateScaling.standard(for: .adamw).rate(batchSize: 512), 1e-3, accuracy: 1e-9)
    var overrides = RecipeOverrides()
    overrides.batchSize = 128
    var resolved = RecipePreset.scratch.resolve(overrides, model: try lite0())
    let scaling = RecipePreset.scratch.learningRate
    XCTAssertEqual(resolved.recipe.settings.resolvedLearningRate, scaling.rate(batchSize: 128))
    resolved.clampBatchSize(to: 8)
    XCTAssertEqual(resolved.recipe.settings.batchSize, 8)
    XCTAssertEqual(resolved.recipe.settings.resolvedLearningRate, scaling.rate(batchSize: 8))
    XCTAssertEqual(row("lr", in: resolved)?.value, String(scaling.rate(batchSize: 8)))
    XCTAssertEqual(row("batch-size", in: resolved)?.value, "8")
  }

  /// `paper` is what `train` defaulted to before recipes: the same settings and augmentation.
  func testThePaperRecipeIsTheEarlierDefaults() throws {
    let resolved = RecipePreset.paper.resolve(RecipeOverrides(), model: try lite0())
    var settings = resolved.recipe.settings
    let earlier = TrainingSettings()
    XCTAssertEqual(settings.resolvedLearningRate, earlier.resolvedLearningRate)
    settings.learningRateScaling = nil
    XCTAssertEqual(settings, earlier)
    var recipe = resolved.recipe
    let configuration = try lite0()
    XCTAssertEqual(recipe.dropout, configuration.dropoutRate)
    XCTAssertEqual(recipe.dropPath, configuration.dropConnectRate)
    (recipe.dropout, recipe.dropPath, recipe.horizontalFlipProbability) = (nil, nil, nil)
    recipe.settings = earlier
    XCTAssertEqual(recipe, TrainingRecipe())
  }
}
