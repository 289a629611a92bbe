import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// Runs that once clobbered each other or trained on a mismatch (classes 8 and 11 of the hardening
/// issue): each is refused by name and leaves the folder as it was.
final class TrainingHostileTests: XCTestCase {
  private func csv(_ name: String, count: Int = 40, classes: Int = 3) throws -> String {
    let url = temporaryLocation(name)
    try HostileFixtures.digitsCSV(count: count, classes: classes, at: url)
    return url.path
  }

  private let tiny = ["--model", "efficientnet_b0", "--resolution", "32", "--epochs", "1", "--workers", "1"]

  /// A folder another run holds is refused naming the holder; one that holds a finished run is
  /// refused without --resume or --overwrite, and its files stay byte for byte.
  func testOutputFolderIsLockedAndNeverSilentlyEmptied() throws {
    let data = try csv("data.csv")
    let held = try makeTemporaryFolder("held")
    let lock = try RunFolderLock(folder: held)
    try assertToolRefuses(
      ["train", "--data", data, "--output", held.path] + tiny,
      naming: [held.path, "process \(getpid())"], deadline: 30)
    withExtendedLifetime(lock) {}

    let used = try makeTemporaryFolder("used")
    let metrics = used.appendingPathComponent("metrics.jsonl")
    let checkpoint = used.appendingPathComponent("checkpoint.safetensors")
    try Data("{\"epoch\":0}\n".utf8).write(to: metrics)
    try Data(repeating: 1, count: 64).write(to: checkpoint)
    try assertToolRefuses(
      ["train", "--data", data, "--output", used.path] + tiny,
      naming: ["already holds a run", "--overwrite"],
      deadline: 30)
    XCTAssertEqual(try Data(contentsOf: metrics), Data("{\"epoch\":0}\n".utf8))
    XCTAssertEqual(try Data(contentsOf: checkpoint), Data(repeating: 1, count: 64))
  }

  /// Data that does not fit the run: one class, fewer --num-classes than the data, a --val-data
  /// with other classes, a 1,000-class model evaluated on a 2-class folder.
  func testMismatchedDataAndModelsAreRefused() throws {
    let output = temporaryLocation("run").path
    let threeClasses = try csv("three.csv")
    let cases: [([String], [String])] = [
      (["train", "--data", try csv("one.csv", classes: 1), "--output", output] + tiny, ["one class only"]),
      (
        ["train", "--data", threeClasses, "--output", output, "--num-classes", "2"] + tiny,
        ["--num-classes 2", "3 classes"]
      ),
      (
        ["train", "--data", threeClasses, "--val-data", try csv("two.csv", classes: 2), "--output", output]
          + tiny,
        ["--val-data", "same classes"]
      ),
    ]
    for (arguments, fragments) in cases {
      try assertToolRefuses(arguments, naming: fragments, deadline: 30)
    }
    let folder = try makeTemporaryFolder("two-classes")
    for name in ["cat", "dog"] {
      let classFolder = folder.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        atPath: HostileFixtures.photo, toPath: classFolder.appendingPathComponent("a.jpg").path)
    }
    let lite0 = RepositoryPaths.file("Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors")
      .path
    try assertToolRefuses(
      ["evaluate", "--data", folder.path, "--weights", lite0], naming: ["2 classes", "1000"], deadline: 30)
  }

  /// A batch larger than the training set is clamped and said; a resume that changes --resolution or
  /// --data is refused by name.
  func testBatchIsClampedAndResumeKeepsTheRunsOptions() throws {
    let data = try csv("data.csv")
    let output = temporaryLocation("run").path
    let trained = try ToolProcess.run(
      ["train", "--data", data, "--output", output, "--batch-size", "4096"] + tiny, deadline: 120)
    XCTAssertEqual(trained.exitStatus, 0, trained.summary)
    XCTAssertTrue(trained.error.contains("using batches of 36"), trained.summary)
    try assertToolRefuses(["train", "--resume", output, "--resolution", "64"], naming: ["--resolution 64"])
    try assertToolRefuses(
      ["train", "--resume", output, "--data", try csv("other.csv")], naming: ["--data", "differs"])
  }

  /// Files that look like JPEGs but do not decode: each is named as it is skipped, and a run left
  /// with nothing to train on is an error, not "val_loss 0.0000" with status 0.
  func testARunWithNoDecodableSampleIsAnError() throws {
    let folder = try makeTemporaryFolder("corrupt")
    for name in ["a", "b"] {
      let classFolder = folder.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
      for index in 0..<4 {
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<200).map { UInt8(($0 * 37 + index) % 251) }
        try Data(bytes).write(to: classFolder.appendingPathComponent("\(index).jpg"))
      }
    }
    let output = temporaryLocation("run").path
    try assertToolRefuses(
      ["train", "--data", folder.path, "--output", output] + tiny,
      naming: ["none of the", "training samples could be loaded", folder.path], deadline: 60)
  }
}
