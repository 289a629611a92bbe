import ArgumentParser
import EfficientNetTraining
import Foundation

/// The data options `train` and `search` share: the training data and how validation is chosen.
struct DataOptions: ParsableArguments {
  @Option(
    name: .long,
    help:
      "Training data: an image folder (ROOT/CLASS/*.jpg|png) or a .csv / .csv.gz (required but when resuming)."
  )
  var data: String?

  /// `--data`; ``requireData()`` has checked that it was given.
  var dataPath: String { data ?? "" }

  /// Throws the usage error of a missing `--data`.
  func requireData() throws {
    if data == nil { throw ValidationError("Missing expected argument '--data <data>'") }
  }

  @Option(name: .long, help: "Validation data (same formats); otherwise --val-split of the training data.")
  var valData: String?

  @Option(
    name: .long, help: "Fraction of the training data held out for validation when --val-data is absent.")
  var valSplit: Double = 0.1

  @Option(name: .long, help: "Use only this many training samples (the first of a seeded permutation).")
  var trainCount: Int?

  @Option(
    name: .long, help: "With --train-count: this many validation samples (the last of the same permutation).")
  var valCount: Int?

  func validate() throws {
    if !(0..<1).contains(valSplit) { throw ValidationError("--val-split must be in [0, 1), got \(valSplit)") }
    try FlagLimits.check(trainCount, in: 1...Int(Int32.max), "--train-count")
    try FlagLimits.check(valCount, in: 0...Int(Int32.max), "--val-count")
    if valCount != nil && trainCount == nil { throw ValidationError("--val-count needs --train-count") }
  }

  /// The training and validation samples of `dataset` (opened from `--data`).
  func selection(of dataset: any LabeledDataset, seed: UInt64) throws -> DataSelection {
    try DataSelection.split(
      dataset, validationPath: valData, validationFraction: valSplit, trainCount: trainCount,
      validationCount: valCount, seed: seed)
  }
}

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
      let validationSet = try DatasetOpening.open(validationPath)
      guard validationSet.classNames == dataset.classNames else {
        throw CommandError(
          "--val-data \(validationPath) has classes \(ClassList.text(validationSet.classNames)) but the "
            + "training data has \(ClassList.text(dataset.classNames)); both must have the same classes")
      }
      return DataSelection(
        training: training, validation: [], validationSet: validationSet, classCount: classes)
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

/// Class names for messages: all of them when few, else the first and the count.
enum ClassList {
  static func text(_ names: [String]) -> String {
    names.count <= 6
      ? "[" + names.joined(separator: ", ") + "]"
      : "[" + names.prefix(5).joined(separator: ", ") + ", … (\(names.count) in all)]"
  }
}
