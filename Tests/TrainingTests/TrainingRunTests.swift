import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// The training run as a library type: the README's example, typed records across a resume, and
/// cross-validation built from the same runs.
final class TrainingRunTests: TrainingLoopTestCase {
  /// `photos/CLASS/*.png`: 10 "left" and 10 "right" pictures of 24×24 (bright on their side).
  private func writePhotos() throws -> URL {
    let root = try makeTemporaryFolder("photos")
    let dataset = twoClassDataset(count: 20, size: 24, classNames: ["left", "right"], label: { $0 % 2 }) {
      x, _, label in (x < 12) == (label == 0)
    }
    for index in 0..<dataset.count {
      let folder = root.appendingPathComponent(dataset.classNames[dataset.label(at: index)])
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let image = dataset.images[index]
      try PNGEncoder.write(
        DecodedImage(width: image.width, height: image.height, channels: 3, samples8: image.pixels),
        to: folder.appendingPathComponent("\(index).png"))
    }
    return root
  }

  /// The README's "As a library" code, on synthetic photos at 32×32 for two epochs.
  func testTheReadmeExampleFineTunesAndEvaluates() throws {
    let folder = try writePhotos()
    let output = temporaryLocation("run")
    let photos = try ImageFolderDataset(root: folder)
    let split = DatasetSplit.split(count: photos.count, validationFraction: 0.2, seed: 0)
    var configuration = try ModelRegistry.configuration(named: "lite0")
    configuration.classCount = photos.classNames.count
    let pretrained = try EfficientNet.load(contentsOf: try PretrainedModels.lite0WeightsURL()).model
    let model = try EfficientNet(architecture: try configuration.resolve(), seed: 0)
      .transferringWeights(from: pretrained)
    var recipe = TrainingRecipe()
    recipe.settings.epochs = 2
    recipe.settings.batchSize = 4
    recipe.settings.optimizer = .adamw
    recipe.settings.learningRate = 0.005
    recipe.resolution = 32
    let run = try TrainingRun(
      model: model, recipe: recipe,
      data: TrainingData(
        dataset: photos, trainingIndices: split.training, validationIndices: split.validation),
      directory: output)
    XCTAssertEqual(try run.run(), .completed)
    XCTAssertEqual(run.history.map(\.epoch), [0, 1])
    // The records in memory are the lines of metrics.jsonl.
    let logged = try MetricsLog(url: output.appendingPathComponent("metrics.jsonl")).records()
    XCTAssertEqual(logged.map(\.validationTop1), run.history.map(\.validationTop1))
    XCTAssertEqual(logged.map(\.trainingLoss), run.history.map(\.trainingLoss))
    let metrics = try Evaluation.run(
      model: try run.model(), data: try XCTUnwrap(run.loaders.validation), recordingScores: true)
    XCTAssertEqual(metrics.count, split.validation.count)
    XCTAssertEqual(metrics.top1, run.history.last?.validationTop1)
    XCTAssertEqual(metrics.rocAUC?.macroAverage, run.history.last?.validationAUC)
    // The checkpoint stores the recipe it was started with.
    let stored = try XCTUnwrap(try TrainingRun.storedMetadata(in: output)?[TrainingRun.recipeMetadataKey])
    XCTAssertEqual(try JSONDecoder().decode(TrainingRecipe.self, from: Data(stored.utf8)), recipe)
  }

  private func tinyModel() throws -> EfficientNet {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 24, classCount: 2)
    return EfficientNet(architecture: try configuration.resolve(), seed: 3)
  }

  private func recipe(epochs: Int) -> TrainingRecipe {
    var recipe = TrainingRecipe()
    recipe.settings.epochs = epochs
    recipe.settings.batchSize = 4
    recipe.settings.learningRate = 0.01
    recipe.settings.seed = 7
    recipe.augments = false
    return recipe
  }

  /// A run stopped after its first epoch and resumed has, in memory, the records of the run that
  /// never stopped (the first read back from its metrics file).
  func testResumedRunHasTheHistoryOfTheUninterruptedOne() throws {
    let dataset = twoClassDataset(count: 16, size: 24, classNames: ["a", "b"], label: { $0 % 2 }) {
      x, _, label in
      (x < 12) == (label == 0)
    }
    let data = TrainingData(
      dataset: dataset, trainingIndices: Array(0..<12), validationIndices: Array(12..<16))
    let straightFolder = temporaryLocation("straight")
    let straight = try TrainingRun(
      model: try tinyModel(), recipe: recipe(epochs: 2), data: data, directory: straightFolder)
    XCTAssertEqual(try straight.run(), .completed)
    // curves.svg after two epochs: each line has the two values of metrics.jsonl.
    let logged = try MetricsLog(url: straightFolder.appendingPathComponent("metrics.jsonl")).records()
    XCTAssertEqual(logged.count, 2)
    try assertCurves(in: straightFolder, match: logged)
    let folder = temporaryLocation("stopped")
    Interruption.install()
    let stopped = try TrainingRun(
      model: try tinyModel(), recipe: recipe(epochs: 2), data: data, directory: folder)
    XCTAssertEqual(
      try stopped.run(epochEnded: { _ in Interruption.request() }), .interrupted(epoch: 1, batch: 1))
    Interruption.install()
    let resumed = try TrainingRun(
      model: try tinyModel(), recipe: recipe(epochs: 2), data: data, directory: folder, resume: true)
    XCTAssertEqual(try resumed.run(), .completed)
    func deterministic(_ records: [EpochRecord]) -> [EpochRecord] {
      records.map { record in
        var record = record
        (record.seconds, record.imagesPerSecond) = (0, 0)
        return record
      }
    }
    XCTAssertEqual(deterministic(resumed.history), deterministic(straight.history))
    XCTAssertEqual(resumed.history.count, 2)
    // The resumed run's picture starts at the epoch of the session before it.
    try assertCurves(
      in: folder, match: try MetricsLog(url: folder.appendingPathComponent("metrics.jsonl")).records())
  }

  /// A picture that cannot be written (a folder stands where curves.svg goes) stops nothing.
  func testAPictureThatCannotBeWrittenDoesNotStopTraining() throws {
    let dataset = twoClassDataset(count: 8, size: 24, classNames: ["a", "b"], label: { $0 % 2 }) {
      x, _, label in
      (x < 12) == (label == 0)
    }
    let folder = try makeTemporaryFolder("blocked")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent(TrainingCurves.fileName), withIntermediateDirectories: false)
    let run = try TrainingRun(
      model: try tinyModel(), recipe: recipe(epochs: 2),
      data: TrainingData(dataset: dataset, trainingIndices: Array(0..<8), validationIndices: []),
      directory: folder)
    XCTAssertEqual(try run.run(), .completed)
    XCTAssertEqual(try MetricsLog(url: folder.appendingPathComponent("metrics.jsonl")).records().count, 2)
  }

  /// K-fold cross-validation through the library: every fold trains on the others in its own folder,
  /// validates on its own samples, and the summary is written.
  func testCrossValidationRunsEveryFoldAndWritesTheSummary() throws {
    let dataset = twoClassDataset(count: 16, size: 24, classNames: ["a", "b"], label: { $0 % 2 }) {
      x, _, label in
      (x < 12) == (label == 0)
    }
    let folder = temporaryLocation("folds")
    var finished: [CrossValidationRun.Fold] = []
    let summary = try XCTUnwrap(
      try CrossValidationRun.run(
        dataset: dataset, folds: 4, recipe: recipe(epochs: 1), directory: folder, model: tinyModel,
        foldFinished: { finished.append($0) }))
    XCTAssertEqual(finished.map(\.number), [1, 2, 3, 4])
    XCTAssertEqual(summary.folds.map(\.samples), [4, 4, 4, 4])
    for fold in finished {
      XCTAssertEqual(
        try MetricsLog(url: fold.directory.appendingPathComponent("metrics.jsonl")).records().count, 1)
    }
    let written = try XCTUnwrap(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: folder.appendingPathComponent("cross_validation.json")))
        as? [String: Any])
    XCTAssertEqual((written["folds"] as? [Any])?.count, 4)
    XCTAssertNotNil(summary.pooledAUC)
    XCTAssertThrowsError(
      try CrossValidationRun.run(
        dataset: dataset, folds: 17, recipe: recipe(epochs: 1), directory: folder, model: tinyModel)
    ) { error in XCTAssertTrue("\(error)".contains("17 folds"), "\(error)") }
  }
}
