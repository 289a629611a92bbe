import EfficientNetTraining
import Foundation

/// Which samples train and which validate, from the dataset options shared by `train` and `search`.
struct DataSelection {
  /// Training indices into the training dataset.
  var training: [Int]
  /// Validation indices into the training dataset (empty when `validationSet` is used).
  var validation: [Int]
  /// A separate validation dataset (`--val-data`).
  var validationSet: (any LabeledDataset)?
  /// The number of classes of the training dataset.
  var classCount: Int

  /// The number of validation samples.
  var validationCount: Int { validationSet?.count ?? validation.count }

  /// `--val-data`, else `--train-count`/`--val-count` of one seeded permutation, else `--val-split`.
  static func split(
    _ dataset: any LabeledDataset, validationPath: String?, validationFraction: Double, trainCount: Int?,
    validationCount: Int?, seed: UInt64
  ) throws -> DataSelection {
    let classes = dataset.classNames.count
    if let validationPath {
      let training =
        trainCount.map { Array(DatasetSplit.permutation(count: dataset.count, seed: seed).prefix($0)) }
        ?? Array(0..<dataset.count)
      return DataSelection(
        training: training, validation: [], validationSet: try DatasetOpening.open(validationPath),
        classCount: classes)
    }
    if let trainCount {
      let count = validationCount ?? max(1, dataset.count / 10)
      guard trainCount >= 1, trainCount + count <= dataset.count else {
        throw CommandError(
          "--train-count \(trainCount) + --val-count \(count) must be at least 1 and at most the \(dataset.count) samples"
        )
      }
      let parts = DatasetSplit.split(
        count: dataset.count, trainingCount: trainCount, validationCount: count, seed: seed)
      return DataSelection(
        training: parts.training, validation: parts.validation, validationSet: nil, classCount: classes)
    }
    let parts = DatasetSplit.split(count: dataset.count, validationFraction: validationFraction, seed: seed)
    return DataSelection(
      training: parts.training, validation: parts.validation, validationSet: nil, classCount: classes)
  }
}
