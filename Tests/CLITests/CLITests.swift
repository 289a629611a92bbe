import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Runs the built `efficientnet` tool as a user would and checks what it prints and writes.
final class CLITests: XCTestCase {
  private let fixtures = RepositoryPaths.fixtures("ModelTests")

  func testInfoJSONListsEveryVariantWithTheRequiredKeys() throws {
    let result = try CLITool.run(["info", "--json"])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(rows.count, 30)
    for row in rows {
      XCTAssertEqual(Set(row.keys), ["name", "width", "depth", "resolution", "dropout", "params", "macs"])
    }
    let b3 = try XCTUnwrap(rows.first { $0["name"] as? String == "efficientnet_b3" })
    XCTAssertEqual(b3["params"] as? Int, 12_233_232)
    XCTAssertEqual(b3["resolution"] as? Int, 300)
    XCTAssertEqual(b3["width"] as? Double, 1.2)
    XCTAssertEqual(b3["depth"] as? Double, 1.4)
    XCTAssertEqual(b3["dropout"] as? Double, 0.3)
  }

  func testInfoWithPhiShowsTheCompoundScaledModel() throws {
    let result = try CLITool.run(["info", "--phi", "1.5", "--json"])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(rows.count, 1)
    XCTAssertEqual(try XCTUnwrap(rows[0]["depth"] as? Double), pow(1.2, 1.5), accuracy: 1e-6)
    XCTAssertEqual(try XCTUnwrap(rows[0]["width"] as? Double), pow(1.1, 1.5), accuracy: 1e-6)
    XCTAssertEqual(rows[0]["resolution"] as? Int, Int((224 * pow(1.15, 1.5)).rounded()))
    let custom = try CLITool.run([
      "info", "--phi", "1,2", "--alpha", "1.3", "--beta", "1.05", "--gamma", "1.1", "--json",
    ])
    XCTAssertEqual(custom.status, 0, custom.error)
    let customRows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(custom.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(try XCTUnwrap(customRows.map { $0["depth"] as? Double }[1]), 1.69, accuracy: 1e-6)
  }

  func testBadFlagsAreClearErrors() throws {
    let negative = try CLITool.run(["info", "--phi", "-1"])
    XCTAssertNotEqual(negative.status, 0)
    XCTAssertTrue(negative.error.contains("phi"), negative.error)
    let alphaBelowOne = try CLITool.run(["info", "--phi", "1", "--alpha", "0.5"])
    XCTAssertNotEqual(alphaBelowOne.status, 0)
    XCTAssertTrue(alphaBelowOne.error.contains("alpha"), alphaBelowOne.error)
    let unknown = try CLITool.run(["info", "--model", "b42"])
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.error.contains("b42"), unknown.error)
  }

  /// `run` on the tiny timm fixture writes logits and features equal to timm's.
  func testRunWritesLogitsAndFeaturesMatchingTimm() throws {
    let output = temporaryLocation("out.safetensors")
    let weights = fixtures.appendingPathComponent("tiny_b0.weights.safetensors").path
    let input = fixtures.appendingPathComponent("tiny_b0.io.safetensors")
    // The tiny fixture is B0's table at width and depth 0.25: plain B0 does not fit it.
    let mismatch = try CLITool.run([
      "run", "--model", "b0", "--weights", weights, "--input", input.path, "--output", output.path,
    ])
    XCTAssertNotEqual(mismatch.status, 0)
    XCTAssertTrue(mismatch.error.contains("tiny_b0.weights.safetensors"), mismatch.error)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))

    let result = try CLITool.run([
      "run", "--model", "b0", "--width", "0.25", "--depth", "0.25", "--weights", weights, "--input",
      input.path,
      "--output", output.path,
    ])
    XCTAssertEqual(result.status, 0, result.error)
    let written = try SafeTensorsFile(contentsOf: output)
    let expected = try SafeTensorsFile(contentsOf: input)
    XCTAssertEqual(
      Set(written.names), ["logits", "features.0", "features.1", "features.2", "features.3", "features.4"])
    for name in written.names {
      let ours = try written.tensor(named: name)
      let timm = try expected.tensor(named: name)
      XCTAssertEqual(ours.shape, timm.shape, name)
      let reference = timm.floats()
      let scale = name == "logits" ? 1 : reference.map(abs).max()!
      let worst = zip(ours.floats(), reference).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(worst, 1e-4 * scale, name)
    }
  }

  func testRunOnMissingFilesNamesThem() throws {
    let result = try CLITool.run([
      "run", "--weights", "/nonexistent/w.safetensors", "--input", "/nonexistent/x.safetensors", "--output",
      temporaryLocation("y.safetensors").path,
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.error.contains("/nonexistent/w.safetensors"), result.error)
  }

  private var samples: URL { RepositoryPaths.samples }

  /// The README's main command: the shipped Lite0 calls the sample cat a tabby.
  func testClassifyWithNoFlagsUsesTheShippedLite0() throws {
    let result = try CLITool.run(["classify", samples.appendingPathComponent("chelsea.jpg").path])
    XCTAssertEqual(result.status, 0, result.error)
    let lines = result.output.split(separator: "\n")
    XCTAssertEqual(lines.count, 6)
    XCTAssertTrue(lines[1].hasSuffix("281  tabby"), String(lines[1]))
  }

  /// A folder with a corrupt image: the others are classified, the bad one is named, and the exit
  /// status says something failed; `--json` prints one object per image.
  func testClassifyFolderReportsBadFilesAndKeepsGoing() throws {
    let folder = temporaryLocation("photos")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: samples.appendingPathComponent("coffee.jpg"), to: folder.appendingPathComponent("a-coffee.jpg"))
    let jpeg = try Data(contentsOf: samples.appendingPathComponent("chelsea.jpg"))
    try jpeg.prefix(jpeg.count / 3).write(to: folder.appendingPathComponent("b-truncated.jpg"))
    try Data("not an image".utf8).write(to: folder.appendingPathComponent("c-text.png"))
    let result = try CLITool.run(["classify", "--json", "--top", "2", folder.path])
    XCTAssertEqual(result.status, 1)
    let lines = result.output.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 1)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    XCTAssertTrue((object["file"] as? String)?.hasSuffix("a-coffee.jpg") == true)
    let top = try XCTUnwrap(object["top"] as? [[String: Any]])
    XCTAssertEqual(top.count, 2)
    XCTAssertEqual(top[0]["class"] as? Int, 967)
    XCTAssertEqual(top[0]["label"] as? String, "espresso")
    XCTAssertEqual(try XCTUnwrap(top[0]["probability"] as? Double), 0.862, accuracy: 0.005)
    XCTAssertTrue(result.error.contains("b-truncated.jpg"), result.error)
    XCTAssertTrue(result.error.contains("c-text.png"), result.error)
    XCTAssertTrue(result.error.contains("2 failed"), result.error)
  }

  /// `convert` turns the legacy-format Lite0 .pth into timm-named safetensors that classify identically.
  func testConvertLegacyCheckpointToSafeTensors() throws {
    let pth = try SharedData.require(SharedData.lite0Checkpoint)
    let output = temporaryLocation("lite0.safetensors")
    let converted = try CLITool.run(["convert", pth.path, output.path])
    XCTAssertEqual(converted.status, 0, converted.error)
    XCTAssertTrue(converted.error.contains("efficientnet_lite0"), converted.error)
    let file = try SafeTensorsFile(contentsOf: output)
    XCTAssertEqual(file.count, 247)
    XCTAssertEqual(file["blocks.5.3.conv_pwl.weight"]?.shape, [192, 1152, 1, 1])
    XCTAssertEqual(file["conv_stem.weight"]?.dataType, .float32)
    let viaPth = try CLITool.run([
      "classify", "--json", "--weights", pth.path, samples.appendingPathComponent("coffee.jpg").path,
    ])
    let viaSafeTensors = try CLITool.run([
      "classify", "--json", "--weights", output.path, samples.appendingPathComponent("coffee.jpg").path,
    ])
    XCTAssertEqual(viaPth.status, 0, viaPth.error)
    XCTAssertEqual(viaPth.output, viaSafeTensors.output)
  }

  /// A 2-class CSV dataset of 8×8 digits-like images (bright left or right half), 48 rows.
  private func writeDataset() throws -> URL {
    let url = temporaryLocation("data.csv")
    var generator = SystemRandomNumberGenerator()
    var rows: [String] = []
    for index in 0..<48 {
      let label = index % 2
      var values: [String] = []
      for y in 0..<8 {
        for x in 0..<8 {
          _ = y
          let bright = (x < 4) == (label == 0)
          values.append(String((bright ? 12 : 3) + Int.random(in: 0...3, using: &generator)))
        }
      }
      rows.append((values + [String(label)]).joined(separator: ","))
    }
    try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// `train` writes checkpoints and metrics, `evaluate` reads the result, Ctrl-C (a real SIGINT)
  /// stops after a step with a checkpoint, and `--resume` continues the run.
  func testTrainEvaluateInterruptAndResume() throws {
    let data = try writeDataset()
    let output = temporaryLocation("run")
    let common = [
      "train", "--model", "lite0", "--data", data.path, "--val-split", "0.25", "--resolution", "32",
      "--batch-size", "8", "--seed", "3", "--optimizer", "adamw", "--lr", "0.001",
    ]
    // Fine-tuning the shipped Lite0: the 1000-class classifier is replaced by a 2-class one.
    let shipped = samples.deletingLastPathComponent().appendingPathComponent(
      "Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors")
    let trained = try CLITool.run(
      common + ["--epochs", "2", "--weights", shipped.path, "--output", output.path])
    XCTAssertEqual(trained.status, 0, trained.error)
    let weights = try SafeTensorsFile(contentsOf: output.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(weights["classifier.weight"]?.shape, [2, 1280])
    XCTAssertEqual(weights["conv_stem.weight"]?.shape, [32, 3, 3, 3])
    XCTAssertTrue(trained.error.contains("activation memory"), trained.error)
    let metrics = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    XCTAssertEqual(metrics.count, 2)
    for name in ["checkpoint.safetensors", "model.safetensors"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path), name)
    }

    let evaluated = try CLITool.run([
      "evaluate", "--model", "lite0", "--weights", output.appendingPathComponent("model.safetensors").path,
      "--data", data.path, "--resolution", "32", "--json",
    ])
    XCTAssertEqual(evaluated.status, 0, evaluated.error)
    let report = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
    XCTAssertEqual(report["samples"] as? Int, 48)
    let confusion = try XCTUnwrap(report["confusion_matrix"] as? [[Int]])
    XCTAssertEqual(confusion.flatMap { $0 }.reduce(0, +), 48)
    XCTAssertEqual(confusion.count, 2)
    let top1 = try XCTUnwrap(report["top1"] as? Double)
    XCTAssertEqual(top1, Double(confusion[0][0] + confusion[1][1]) / 48, accuracy: 1e-12)

    // Grayscale fed to a 1-channel model.
    let gray = temporaryLocation("gray")
    let oneChannel = try CLITool.run(
      common + ["--epochs", "1", "--input-channels", "1", "--output", gray.path])
    XCTAssertEqual(oneChannel.status, 0, oneChannel.error)
    let grayWeights = try SafeTensorsFile(contentsOf: gray.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(grayWeights["conv_stem.weight"]?.shape, [32, 1, 3, 3])

    // A long run, interrupted by SIGINT once it has written its first epoch.
    let interrupted = temporaryLocation("interrupted")
    let process = Process()
    process.executableURL = try CLITool.url
    process.arguments = common + ["--epochs", "6", "--output", interrupted.path]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = Pipe()
    try process.run()
    let log = interrupted.appendingPathComponent("metrics.jsonl")
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline
      && ((try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 1
    {
      Thread.sleep(forTimeInterval: 0.05)
    }
    kill(process.processIdentifier, SIGINT)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 130, message)
    XCTAssertTrue(message.contains("interrupted at epoch"), message)
    // The checkpoint holds the run's options: a different value is refused by name, nothing written.
    let changed = try CLITool.run(common + ["--epochs", "7", "--resume", interrupted.path])
    XCTAssertNotEqual(changed.status, 0)
    XCTAssertTrue(changed.error.contains("--epochs 7 differs from the run's 6"), changed.error)
    let before = try String(contentsOf: log, encoding: .utf8)
    // `--resume DIR` alone continues with the stored options and finishes the 6 epochs.
    let resumed = try CLITool.run(["train", "--resume", interrupted.path])
    XCTAssertEqual(resumed.status, 0, resumed.error)
    XCTAssertTrue(resumed.error.contains("resuming at epoch"), resumed.error)
    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, 6)
    XCTAssertTrue(before.split(separator: "\n").allSatisfy { lines.contains($0) }, "earlier epochs kept")
    // The same options given again are accepted (the run is complete: nothing more to do).
    let again = try CLITool.run(common + ["--epochs", "6", "--resume", interrupted.path])
    XCTAssertEqual(again.status, 0, again.error)
    XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count, 6)
  }
}
