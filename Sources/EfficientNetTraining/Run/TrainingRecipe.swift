import EfficientNetModels

/// Everything that defines a training run besides the model and the data, in one value: the
/// optimizer and schedule (``TrainingSettings``), the input size, augmentation, regularization and
/// loss weighting. `train`, `search` and cross-validation all build their runs from one; it is stored
/// in every checkpoint.
public struct TrainingRecipe: Sendable, Equatable, Codable {
  /// Optimizer, schedule, epochs, batch size, seed, fine-tuning switches.
  public var settings = TrainingSettings()
  /// The training and validation resolution; nil: the model's.
  public var resolution: Int?
  /// Random-resized crop and flip when training and a center crop when validating; false resizes
  /// whole images both times (digits, text).
  public var augments = true
  /// The random-resized crop's area range, as fractions of the image (timm's `--scale`).
  public var cropAreaRange: ClosedRange<Double> = 0.08...1
  /// Horizontal-flip probability; nil: 0.5 with augmentation, 0 without.
  public var horizontalFlipProbability: Double?
  /// RandAugment as timm writes it (`rand-m9-n2`); nil: none.
  public var randAugment: String?
  /// Dropout before the classifier and the last block's stochastic-depth rate; nil: the model's.
  public var dropout: Double?, dropPath: Double?
  /// Weight the loss by `n / (classes · count)` of the training samples (scikit-learn's "balanced").
  public var balancesClassWeights = false

  /// The defaults: ``TrainingSettings``' and timm's augmentation.
  public init() {}

  /// `configuration` with this recipe's dropout and stochastic-depth rates.
  public func regularized(_ configuration: Configuration) -> Configuration {
    var configuration = configuration
    if let dropout { configuration.dropoutRate = dropout }
    if let dropPath { configuration.dropConnectRate = dropPath }
    return configuration
  }

  /// The side length a run of `configuration` trains at.
  public func side(for configuration: Configuration) -> Int { resolution ?? configuration.resolution }

  /// The training augmentation and the validation transform for `configuration`.
  ///
  /// - Throws: ``RandAugmentSpecificationError`` for a malformed ``randAugment``.
  public func augmentations(for configuration: Configuration) throws
    -> (training: AugmentationConfiguration, evaluation: AugmentationConfiguration)
  {
    let side = side(for: configuration)
    let preprocessing = configuration.preprocessing
    let training = AugmentationConfiguration.training(
      resolution: side, outputChannels: configuration.inputChannels,
      randomResizedCrop: augments ? RandomResizedCropConfiguration(scale: cropAreaRange) : nil,
      horizontalFlipProbability: horizontalFlipProbability ?? (augments ? 0.5 : 0),
      randAugment: try randAugment.map { try RandAugmentConfiguration(timmSpecification: $0) },
      mean: preprocessing.mean, standardDeviation: preprocessing.standardDeviation)
    let evaluation = AugmentationConfiguration.evaluation(
      resolution: side, outputChannels: configuration.inputChannels,
      cropFraction: augments ? preprocessing.cropFraction : 1, mean: preprocessing.mean,
      standardDeviation: preprocessing.standardDeviation)
    return (training, evaluation)
  }
}

/// The samples of a run: training indices of a dataset, and its validation samples (held-out
/// indices of the same dataset, or a separate dataset used whole).
public struct TrainingData {
  /// The labeled images.
  public var dataset: any LabeledDataset
  /// Indices of `dataset` to train on.
  public var trainingIndices: [Int]
  /// Held-out indices of `dataset` (ignored when `validationDataset` is given).
  public var validationIndices: [Int]
  /// A separate validation dataset, used whole.
  public var validationDataset: (any LabeledDataset)?

  /// Creates the samples of a run.
  public init(
    dataset: any LabeledDataset, trainingIndices: [Int], validationIndices: [Int] = [],
    validationDataset: (any LabeledDataset)? = nil
  ) {
    self.dataset = dataset
    self.trainingIndices = trainingIndices
    self.validationIndices = validationIndices
    self.validationDataset = validationDataset
  }
}
