import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// `freezeEpochs` in the training loop: the backbone stays exactly as loaded while frozen, trains
/// afterwards, and a run stopped in the frozen phase resumes into the same run.
final class FineTuningTrainerTests: TrainingLoopTestCase {
  /// 24 images of 16×16: class 0 bright on top, class 1 bright at the bottom (3 to 1 imbalanced).
  private func dataset() -> InMemoryDataset {
    twoClassDataset(
      count: 24, size: 16, classNames: ["top", "bottom"], label: { $0 % 4 == 0 ? 1 : 0 }
    ) { _, y, label in (y < 8) == (label == 0) }
  }

  private func trainer(directory: URL, resume: Bool) throws -> Trainer {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 16, classCount: 2)
    let model = EfficientNet(architecture: try configuration.resolve(), seed: 3)
    var settings = TrainingSettings()
    settings.epochs = 2
    settings.batchSize = 8
    settings.learningRate = 0.01
    settings.optimizer = .adamw
    settings.weightDecay = 0.05
    settings.seed = 11
    settings.freezeEpochs = 1
    settings.layerDecay = 0.7
    settings.classWeights = try ClassWeighting.balanced(counts: dataset().classCounts(of: Array(0..<16)))
    let data = dataset()
    let training = DataLoader(
      dataset: data, indices: Array(0..<16), batchSize: 8, augmentation: .training(resolution: 16), seed: 11,
      workers: 1)
    let validation = DataLoader(
      dataset: data, indices: Array(16..<24), batchSize: 8, shuffle: false,
      augmentation: .evaluation(resolution: 16), seed: 11)
    return try Trainer(
      model: model, settings: settings, trainingData: training, validationData: validation,
      directory: directory, resume: resume)
  }

  func testBackboneStaysAsLoadedWhileFrozenThenTrains() throws {
    let run = try trainer(directory: temporaryLocation("finetune"), resume: false)
    let initial = run.graph.parameters.tensors()
    var afterFirstEpoch: [String: Tensor] = [:]
    var records: [EpochRecord] = []
    _ = try run.run(epochEnded: { record in
      if records.isEmpty { afterFirstEpoch = run.graph.parameters.tensors() }
      records.append(record)
    })
    for (name, tensor) in afterFirstEpoch {
      if name.hasPrefix("classifier.") {
        XCTAssertNotEqual(tensor, initial[name], name)
      } else {
        XCTAssertEqual(tensor, initial[name], "\(name) changed while the backbone was frozen")
      }
    }
    let final = run.graph.parameters.tensors()
    for name in ["conv_stem.weight", "bn1.running_mean", "blocks.0.0.conv_dw.weight", "bn2.weight"] {
      XCTAssertNotEqual(final[name], afterFirstEpoch[name], "\(name) did not train after unfreezing")
    }
    XCTAssertEqual(records.map(\.backboneFrozen), [true, false])
    XCTAssertNotNil(records.last?.validationAUC)
    XCTAssertEqual(run.history, records)
  }

  func testRunStoppedWhileFrozenResumesIntoTheSameRun() throws {
    let straight = temporaryLocation("finetune")
    _ = try trainer(directory: straight, resume: false).run()
    let stopped = temporaryLocation("finetune")
    Interruption.install()
    let outcome = try trainer(directory: stopped, resume: false).run(epochEnded: { _ in
      Interruption.request()
    })
    XCTAssertEqual(outcome, .interrupted(epoch: 1, batch: 1))
    Interruption.install()
    let resumed = try trainer(directory: stopped, resume: true)
    XCTAssertEqual(resumed.position.epoch, 1)
    XCTAssertEqual(try resumed.run(), .completed)
    let a = try TrainingCheckpoint(contentsOf: straight.appendingPathComponent("checkpoint.safetensors"))
    let b = try TrainingCheckpoint(contentsOf: stopped.appendingPathComponent("checkpoint.safetensors"))
    XCTAssertEqual(a.model, b.model)
    XCTAssertEqual(a.state, b.state)
  }
}
