import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// `efficientnet train --model <detector>` on a COCO-format file: the run starts from the shipped
/// Lite0 backbone, its loss falls, and it writes a checkpoint `detect` and `evaluate` load.
final class DetectorTrainCommandTests: XCTestCase {
  func testTrainingLowersTheLossAndWritesALoadableDetector() throws {
    let folder = try makeTemporaryFolder("detector-train")
    let file = try writeEyeDataset(in: folder)
    let output = folder.appendingPathComponent("run")
    let result = try CLITool.run([
      "train", "--model", "efficientdet-lite0", "--data", file.path, "--val-data", file.path, "--epochs", "6",
      "--batch-size", "2", "--resolution", "128", "--lr", "0.003", "--no-augmentation", "--output",
      output.path,
    ])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.error.contains("backbone: the shipped ImageNet"), result.error)
    let records = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    XCTAssertEqual(records.count, 6)
    let losses = records.map { $0["loss"] as! Double }
    XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "loss per epoch: \(losses)")
    let model = try EfficientDet.load(
      configuration: try DetectorRegistry.configuration(named: "efficientdet-lite0"),
      contentsOf: output.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(model.configuration.classCount, 1)
    // The stored class name reaches detect.
    let detect = try CLITool.run([
      "detect", "--model", "efficientdet-lite0", "--weights",
      output.appendingPathComponent("model.safetensors").path,
      "--score-threshold", "0", "--json", folder.appendingPathComponent("cat1.jpg").path,
    ])
    XCTAssertEqual(detect.status, 0, detect.error)
    XCTAssertTrue(detect.output.contains(#""label":"eye""#), detect.output)
    // A second run into the same folder is refused, naming the flag; nothing is overwritten.
    let before = try Data(contentsOf: output.appendingPathComponent("model.safetensors"))
    let again = try CLITool.run([
      "train", "--model", "efficientdet-lite0", "--data", file.path, "--epochs", "1", "--output", output.path,
    ])
    XCTAssertNotEqual(again.status, 0)
    XCTAssertTrue(again.error.contains("--output") && again.error.contains("--overwrite"), again.error)
    XCTAssertEqual(try Data(contentsOf: output.appendingPathComponent("model.safetensors")), before)
    // A detector's --scale is its jitter range: above 1 is allowed, a reversed range is refused by name.
    let reversed = try CLITool.run([
      "train", "--model", "efficientdet-lite0", "--data", file.path, "--scale", "1.5,0.5", "--output",
      folder.appendingPathComponent("reversed").path,
    ])
    XCTAssertNotEqual(reversed.status, 0)
    XCTAssertTrue(reversed.error.contains("--scale must be MIN,MAX"), reversed.error)
  }

  /// Four copies of the cat photo with one box each (an eye), so a few steps can fit them, and
  /// `extra` more image entries; returns the annotation file.
  private func writeEyeDataset(in folder: URL, extra: [String] = []) throws -> URL {
    var images: [String] = []
    var annotations: [String] = []
    for index in 1...4 {
      let name = "cat\(index).jpg"
      try FileManager.default.copyItem(
        at: RepositoryPaths.samples.appendingPathComponent("chelsea.jpg"),
        to: folder.appendingPathComponent(name))
      images.append(#"{"id": \#(index), "file_name": "\#(name)", "width": 451, "height": 300}"#)
      annotations.append(
        #"{"id": \#(index), "image_id": \#(index), "category_id": 3, "bbox": [140, 90, 60, 45], "area": 2700, "iscrowd": 0}"#
      )
    }
    images += extra
    let file = folder.appendingPathComponent("annotations.json")
    try Data(
      #"{"images": [\#(images.joined(separator: ","))], "annotations": [\#(annotations.joined(separator: ","))], "categories": [{"id": 3, "name": "eye"}]}"#
        .utf8
    ).write(to: file)
    return file
  }

  /// A run stopped by Ctrl-C (a real SIGINT) and continued with `--resume` ends with the same weights,
  /// to the byte, as the run that was never stopped; an unreadable training image is skipped with a
  /// warning naming it, in both.
  func testAnInterruptedRunResumesToTheSameWeights() throws {
    let folder = try makeTemporaryFolder("detector-resume")
    try Data("not a jpeg".utf8).write(to: folder.appendingPathComponent("broken.jpg"))
    let file = try writeEyeDataset(
      in: folder, extra: [#"{"id": 9, "file_name": "broken.jpg", "width": 451, "height": 300}"#])
    func arguments(_ output: URL) -> [String] {
      [
        "train", "--model", "efficientdet-lite0", "--data", file.path, "--epochs", "4", "--batch-size", "2",
        "--resolution", "96", "--output", output.path,
      ]
    }
    let whole = folder.appendingPathComponent("whole")
    let uninterrupted = try CLITool.run(arguments(whole))
    XCTAssertEqual(uninterrupted.status, 0, uninterrupted.error)
    XCTAssertTrue(
      uninterrupted.error.contains("skipping training image") && uninterrupted.error.contains("broken.jpg"),
      uninterrupted.error)

    let stopped = folder.appendingPathComponent("stopped")
    let process = Process()
    process.executableURL = try CLITool.url
    process.arguments = arguments(stopped)
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = Pipe()
    try process.run()
    let log = stopped.appendingPathComponent("metrics.jsonl")
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline && ((try? Data(contentsOf: log))?.isEmpty ?? true) {
      Thread.sleep(forTimeInterval: 0.02)
    }
    kill(process.processIdentifier, SIGINT)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 130, message)
    XCTAssertTrue(message.contains("interrupted"), message)
    let resumed = try CLITool.run(["train", "--resume", stopped.path])
    XCTAssertEqual(resumed.status, 0, resumed.error)
    XCTAssertTrue(resumed.error.contains("resumed after epoch"), resumed.error)
    XCTAssertEqual(
      try Data(contentsOf: stopped.appendingPathComponent("model.safetensors")),
      try Data(contentsOf: whole.appendingPathComponent("model.safetensors")))
    let epochs = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
      (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["epoch"] as? Int
    }
    XCTAssertEqual(epochs, [1, 2, 3, 4])
    XCTAssertTrue(FileManager.default.fileExists(atPath: stopped.appendingPathComponent("curves.svg").path))
    // A finished run resumed again has nothing more to do.
    let again = try CLITool.run(["train", "--resume", stopped.path])
    XCTAssertEqual(again.status, 0, again.error)
    XCTAssertTrue(again.error.contains("has finished its 4 epochs"), again.error)
  }
}
