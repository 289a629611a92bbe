/// The named training recipes `train --recipe` offers.
public enum RecipeName: String, Sendable, Equatable, Codable, CaseIterable {
  /// Fine-tuning pretrained weights on a small dataset for a few epochs (the default when a run
  /// starts from pretrained weights).
  case finetune
  /// Training from random weights on a small or medium dataset (the default otherwise).
  case scratch
  /// The paper's ImageNet recipe (RMSProp 0.016 × batch / 256, random-resized crops down to 8% of
  /// the image): right for hundreds of epochs on ImageNet-scale data.
  case paper

  /// The recipe a run uses when none is named: ``finetune`` from pretrained weights, else ``scratch``.
  public static func `default`(startsFromPretrainedWeights: Bool) -> RecipeName {
    startsFromPretrainedWeights ? .finetune : .scratch
  }
}

/// A named set of training defaults: everything a recipe decides besides the model and the data.
/// A run takes each value from here unless a flag gives it (see ``RecipeOverrides``).
///
/// The ``finetune`` and ``scratch`` values were chosen by measurement on the MNIST digits, the chest
/// X-rays and a photo folder (the README's recipe table); ``paper`` is the paper's.
public struct RecipePreset: Sendable, Equatable, Codable {
  /// Which recipe this is.
  public var name: RecipeName
  /// The optimizer.
  public var optimizer: OptimizerKind
  /// The peak rate of ``optimizer`` and how it follows the batch size (another optimizer named by a
  /// flag gets its ``LearningRateScaling/standard(for:)`` rate).
  public var learningRate: LearningRateScaling
  /// Linear warm-up as a share of the run's epochs.
  public var warmupFraction: Double
  /// The schedule after warm-up.
  public var schedule: ScheduleKind
  /// Weight decay (not applied to batch norm and biases).
  public var weightDecay: Double
  /// Label smoothing of the loss.
  public var labelSmoothing: Double
  /// The random-resized crop's area range; nil trains and validates on whole images, resized.
  public var cropAreaRange: ClosedRange<Double>?
  /// Horizontal-flip probability when training.
  public var horizontalFlipProbability: Double
  /// RandAugment as timm writes it, or nil for none.
  public var randAugment: String?
  /// Dropout before the classifier; nil: the model's (0.2 for B0 and Lite0).
  public var dropout: Double?
  /// The last block's stochastic-depth rate; nil: the model's (0.2).
  public var dropPath: Double?
  /// Epochs at the start that train only the classifier.
  public var freezeEpochs: Int

  /// The recipe called `name`.
  public static func named(_ name: RecipeName) -> RecipePreset {
    switch name {
    case .finetune: return finetune
    case .scratch: return scratch
    case .paper: return paper
    }
  }

  /// Fine-tuning: AdamW at 0.01 per 32 images (high enough to move an ImageNet backbone to a new
  /// domain within a few epochs), a third of the run warming up, cosine decay, whole images without
  /// crops or flips, no dropout. Measured (README): 95.4% on 1,000 digits in 5 epochs where the paper's
  /// recipe gives 69%; random crops and flips cost 1–8 points on every set at this length.
  public static let finetune = RecipePreset(
    name: .finetune, optimizer: .adamw,
    learningRate: LearningRateScaling(base: 0.01, referenceBatch: 32, rule: .squareRoot),
    warmupFraction: 0.3, schedule: .cosine, weightDecay: 0.01, labelSmoothing: 0.1,
    cropAreaRange: nil, horizontalFlipProbability: 0, randAugment: nil, dropout: 0, dropPath: 0,
    freezeEpochs: 0)

  /// From scratch: AdamW at 0.02 per 32 images, a third of the run warming up, cosine decay, whole
  /// images, no dropout. Measured (README): 97.2% on 4,000 digits in 6 epochs (the paper's: 34%).
  public static let scratch = RecipePreset(
    name: .scratch, optimizer: .adamw,
    learningRate: LearningRateScaling(base: 0.02, referenceBatch: 32, rule: .squareRoot),
    warmupFraction: 0.3, schedule: .cosine, weightDecay: 0.01, labelSmoothing: 0.1,
    cropAreaRange: nil, horizontalFlipProbability: 0, randAugment: nil, dropout: 0, dropPath: 0,
    freezeEpochs: 0)

  /// The paper's ImageNet recipe as this tool has always defaulted to it: RMSProp (TensorFlow's) at
  /// 0.016 × batch / 256, no warm-up, cosine decay, weight decay 1e-5, label smoothing 0.1,
  /// random-resized crops of 8–100% of the image and flips, the model's dropout and drop-path.
  public static let paper = RecipePreset(
    name: .paper, optimizer: .rmsprop, learningRate: .standard(for: .rmsprop), warmupFraction: 0,
    schedule: .cosine, weightDecay: 1e-5, labelSmoothing: 0.1, cropAreaRange: 0.08...1,
    horizontalFlipProbability: 0.5, randAugment: nil, dropout: nil, dropPath: nil, freezeEpochs: 0)
}
