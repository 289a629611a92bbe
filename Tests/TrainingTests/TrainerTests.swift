import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import WeightIO
import XCTest

/// The training loop end to end on a tiny model and synthetic data: repeatability, checkpoints,
/// resume after a stop or an interruption, and the non-finite-loss guard.
final class TrainerTests: TrainingLoopTestCase {
  /// 48 images of 20×20: class 0 bright on the left, class 1 bright on the right, plus noise.
  private func dataset() -> InMemoryDataset {
    twoClassDataset(count: 48, size: 20, classNames: ["left", "right"], label: { $0 % 2 }) { x, _, label in
      (x < 10) == (label == 0)
    }
  }

  private func trainer(epochs: Int, directory: URL, resume: Bool, learningRate: Float = 0.01) throws
    -> Trainer
  {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 32, classCount: 2)
    let model = EfficientNet(architecture: try configuration.resolve(), seed: 3)
    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = 8
    settings.learningRate = learningRate
    settings.optimizer = .rmsprop
    settings.averageDecay = 0.9
    settings.seed = 11
    let data = dataset()
    let training = DataLoader(
      dataset: data, indices: Array(0..<40), batchSize: 8,
      augmentation: .training(
        resolution: 32, randAugment: try RandAugmentConfiguration(timmSpecification: "rand-m5-n1")),
      seed: 11, workers: 2)
    let validation = DataLoader(
      dataset: data, indices: Array(40..<48), batchSize: 8, shuffle: false,
      augmentation: .evaluation(resolution: 32),
      seed: 11)
    return try Trainer(
      model: model, settings: settings, trainingData: training, validationData: validation,
      directory: directory,
      resume: resume)
  }

  private func lines(_ url: URL) throws -> [String] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
  }

  /// Strips the wall-clock fields, which differ between runs.
  private func deterministicPart(_ line: String) throws -> [String: Double] {
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    var result: [String: Double] = [:]
    for (key, value) in object where key != "seconds" && key != "images_per_second" {
      result[key] = (value as? Double) ?? Double(value as? Int ?? -1)
    }
    return result
  }

  func testSameSeedGivesTheSameMetricsAndCheckpointsHoldEverything() throws {
    let first = temporaryLocation("trainer")
    let second = temporaryLocation("trainer")
    XCTAssertEqual(try trainer(epochs: 2, directory: first, resume: false).run(), .completed)
    XCTAssertEqual(try trainer(epochs: 2, directory: second, resume: false).run(), .completed)
    let a = try lines(first.appendingPathComponent("metrics.jsonl"))
    let b = try lines(second.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(a.count, 2)
    XCTAssertEqual(try a.map(deterministicPart), try b.map(deterministicPart))
    let checkpoint = try TrainingCheckpoint(
      contentsOf: first.appendingPathComponent("checkpoint.safetensors"))
    XCTAssertEqual(checkpoint.epoch, 2)
    XCTAssertEqual(checkpoint.step, 10)
    XCTAssertTrue(checkpoint.state.keys.contains { $0.hasPrefix("optimizer.") })
    XCTAssertTrue(checkpoint.state.keys.contains { $0.hasPrefix("ema.") })
    // The weights file loads as a model by itself.
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 32, classCount: 2)
    XCTAssertNoThrow(
      try EfficientNet(
        configuration: configuration, contentsOf: first.appendingPathComponent("model.safetensors")))
  }

  /// Stopping after the first epoch and resuming gives exactly the run that never stopped.
  func testResumeAfterAnEpochContinuesExactly() throws {
    let straight = temporaryLocation("trainer")
    _ = try trainer(epochs: 2, directory: straight, resume: false).run()
    let stopped = temporaryLocation("trainer")
    Interruption.install()
    let outcome = try trainer(epochs: 2, directory: stopped, resume: false).run(epochEnded: { _ in
      Interruption.request()
    })
    XCTAssertEqual(outcome, .interrupted(epoch: 1, batch: 1))
    Interruption.install()
    XCTAssertEqual(try trainer(epochs: 2, directory: stopped, resume: true).run(), .completed)
    XCTAssertEqual(
      try lines(straight.appendingPathComponent("metrics.jsonl")).map(deterministicPart),
      try lines(stopped.appendingPathComponent("metrics.jsonl")).map(deterministicPart))
    let a = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("model.safetensors"))
    let b = try SafeTensorsFile(contentsOf: stopped.appendingPathComponent("model.safetensors"))
    for name in a.names {
      XCTAssertEqual(try a.tensor(named: name).floats(), try b.tensor(named: name).floats(), name)
    }
  }

  /// An interruption mid-epoch writes a checkpoint at that step; resuming reproduces the full run.
  func testInterruptionMidEpochThenResumeContinuesExactly() throws {
    let straight = temporaryLocation("trainer")
    _ = try trainer(epochs: 2, directory: straight, resume: false).run()
    let interrupted = temporaryLocation("trainer")
    Interruption.install()
    var steps = 0
    let outcome = try trainer(epochs: 2, directory: interrupted, resume: false).run(progress: { _ in
      steps += 1
      if steps == 7 { Interruption.request() }
    })
    XCTAssertEqual(outcome, .interrupted(epoch: 1, batch: 2))
    Interruption.install()
    XCTAssertEqual(try trainer(epochs: 2, directory: interrupted, resume: true).run(), .completed)
    let a = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("model.safetensors"))
    let b = try SafeTensorsFile(contentsOf: interrupted.appendingPathComponent("model.safetensors"))
    for name in a.names {
      XCTAssertEqual(try a.tensor(named: name).floats(), try b.tensor(named: name).floats(), name)
    }
    XCTAssertEqual(
      try lines(straight.appendingPathComponent("metrics.jsonl")).map(deterministicPart),
      try lines(interrupted.appendingPathComponent("metrics.jsonl")).map(deterministicPart))
  }

  /// A diverging run stops with a clear error and keeps the last good checkpoint.
  func testNonFiniteLossStopsAndKeepsTheLastCheckpoint() throws {
    let directory = temporaryLocation("trainer")
    _ = try trainer(epochs: 1, directory: directory, resume: false).run()
    let before = try Data(contentsOf: directory.appendingPathComponent("checkpoint.safetensors"))
    XCTAssertThrowsError(try trainer(epochs: 3, directory: directory, resume: true, learningRate: 1e30).run())
    {
      error in
      XCTAssertTrue("\(error)".contains("loss became"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("checkpoint.safetensors")), before)
  }

  /// A kill after an epoch's weights and metrics line but before its checkpoint (the commit) leaves
  /// files ahead of the checkpoint and a temporary file; resume removes the leftover, drops the extra
  /// line, rewrites the weights, and ends exactly where the uninterrupted run ends.
  func testResumeAfterAKillBeforeTheCheckpointFinishesConsistently() throws {
    let straight = temporaryLocation("trainer")
    _ = try trainer(epochs: 2, directory: straight, resume: false).run()
    let killed = temporaryLocation("trainer")
    Interruption.install()
    let stopAfterAnEpoch: (EpochRecord) -> Void = { _ in Interruption.request() }
    _ = try trainer(epochs: 2, directory: killed, resume: false).run(epochEnded: stopAfterAnEpoch)
    Interruption.install()
    // What the kill left: the second epoch's line and weights, and a half-written checkpoint.
    let metrics = killed.appendingPathComponent("metrics.jsonl")
    let extra = try lines(straight.appendingPathComponent("metrics.jsonl"))[1]
    try (String(contentsOf: metrics, encoding: .utf8) + extra + "\n").write(
      to: metrics, atomically: true, encoding: .utf8)
    let model = killed.appendingPathComponent("model.safetensors")
    try FileManager.default.removeItem(at: model)
    try FileManager.default.copyItem(at: straight.appendingPathComponent("model.safetensors"), to: model)
    let leftover = killed.appendingPathComponent(".checkpoint.safetensors.\(UUID().uuidString).partial")
    try Data(repeating: 7, count: 100).write(to: leftover)

    XCTAssertEqual(try trainer(epochs: 2, directory: killed, resume: true).run(), .completed)
    XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path), "the leftover .partial file stayed")
    XCTAssertEqual(
      try lines(straight.appendingPathComponent("metrics.jsonl")).map(deterministicPart),
      try lines(metrics).map(deterministicPart))
    let a = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("model.safetensors"))
    let b = try SafeTensorsFile(contentsOf: model)
    for name in a.names {
      XCTAssertEqual(try a.tensor(named: name).floats(), try b.tensor(named: name).floats(), name)
    }
  }
}
