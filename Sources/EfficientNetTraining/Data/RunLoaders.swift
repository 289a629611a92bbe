/// The loaders of one training run: shuffled, augmented training batches, and evaluation batches of
/// the validation samples when there are any (a separate dataset, or held-out indices of the
/// training one).
public struct RunLoaders {
  /// The training batches.
  public let training: DataLoader
  /// The validation batches; nil without validation samples.
  public let validation: DataLoader?

  /// Builds both loaders.
  ///
  /// - Parameters:
  ///   - dataset: The training dataset.
  ///   - trainingIndices: The samples of `dataset` to train on.
  ///   - validationIndices: Held-out samples of `dataset` (ignored when `validationSet` is given).
  ///   - validationSet: A separate validation dataset, used whole.
  ///   - training: The augmentation of training samples.
  ///   - evaluation: The transform of validation samples.
  ///   - batchSize: Samples per batch of both loaders.
  ///   - seed: The seed of order and augmentation.
  ///   - workers: Background threads of the training loader.
  ///
  /// The training loader drops a last batch of 1 sample (as timm's `drop_last` would): batch norm
  /// cannot train on a batch of one. Other last batches are kept.
  public init(
    dataset: any LabeledDataset, trainingIndices: [Int], validationIndices: [Int],
    validationSet: (any LabeledDataset)?, training: AugmentationConfiguration,
    evaluation: AugmentationConfiguration, batchSize: Int, seed: UInt64, workers: Int
  ) {
    self.training = DataLoader(
      dataset: dataset, indices: trainingIndices, batchSize: batchSize, shuffle: true,
      dropLast: Self.lastBatchIsSingle(sampleCount: trainingIndices.count, batchSize: batchSize),
      augmentation: training, seed: seed, workers: workers)
    if let validationSet {
      validation = DataLoader(
        dataset: validationSet, batchSize: batchSize, shuffle: false, augmentation: evaluation, seed: seed)
    } else if !validationIndices.isEmpty {
      validation = DataLoader(
        dataset: dataset, indices: validationIndices, batchSize: batchSize, shuffle: false,
        augmentation: evaluation, seed: seed)
    } else {
      validation = nil
    }
  }

  /// Whether `sampleCount` samples in batches of `batchSize` end with a batch of exactly 1 sample after
  /// at least one full batch.
  static func lastBatchIsSingle(sampleCount: Int, batchSize: Int) -> Bool {
    batchSize > 1 && sampleCount > batchSize && sampleCount % batchSize == 1
  }
}
