import EfficientNetCore
import EfficientNetDetection
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import XCTest

/// `efficientnet export` with no other flag than --output writes the shipped Lite0 so that ONNX
/// Runtime, preparing each image from the file's metadata alone (`Samples/onnx_classify.py`, the
/// README's example), gives the sample photos the top-5 that `classify` gives.
final class ExportCommandTests: XCTestCase {
  func testTheShippedLite0ClassifiesTheSamplesFromItsMetadataAlone() throws {
    let folder = try makeTemporaryFolder("export-command")
    let model = folder.appendingPathComponent("lite0.onnx")
    let export = try ToolProcess.run(["export", "--output", model.path])
    XCTAssertEqual(export.exitStatus, 0, export.error)
    XCTAssertTrue(export.error.contains("efficientnet_lite0 -> "), export.error)
    let photos = ["chelsea.jpg", "coffee.jpg"].map { RepositoryPaths.samples.appendingPathComponent($0) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", RepositoryPaths.samples.appendingPathComponent("onnx_classify.py").path, model.path]
      + photos.map(\.path)
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch { try ONNXRuntimeRunner.unavailable("python3 does not start: \(error)") }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if message.contains("ModuleNotFoundError") { try ONNXRuntimeRunner.unavailable(message) }
    XCTAssertEqual(process.terminationStatus, 0, message)
    let lines = text.split(separator: "\n")
    XCTAssertEqual(lines.count, 2, text)
    let classifier = try ImageClassifier.pretrainedLite0()
    for (photo, line) in zip(photos, lines) {
      let theirs = line.split(separator: ":", maxSplits: 1)[1].split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces).split(separator: " ").dropLast().joined(separator: " ")
      }
      XCTAssertEqual(
        theirs, try classifier.classify(contentsOf: photo).map(\.label), "\(photo.lastPathComponent)")
    }
    XCTAssertTrue(lines[0].contains(": tabby"), String(lines[0]))
    // And back: `convert` reads the graph (its metadata names the model), `classify` runs the result.
    let back = folder.appendingPathComponent("back.safetensors")
    let convert = try ToolProcess.run(["convert", model.path, back.path])
    XCTAssertEqual(convert.exitStatus, 0, convert.error)
    XCTAssertTrue(convert.error.contains("efficientnet_lite0 from its ONNX graph"), convert.error)
    let classify = try ToolProcess.run(["classify", "--weights", back.path, "--json", photos[0].path])
    XCTAssertEqual(classify.exitStatus, 0, classify.error)
    XCTAssertTrue(classify.output.contains(#""label":"tabby""#), classify.output)
    // A bad flag is refused by name, and nothing is written.
    let bad = try ToolProcess.run([
      "export", "--size", "12by12", "--output", folder.appendingPathComponent("x.onnx").path,
    ])
    XCTAssertNotEqual(bad.exitStatus, 0)
    XCTAssertTrue(bad.error.contains("--size must be HxW"), bad.error)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.onnx").path))
  }

  /// A compound-scaled model (no named variant) goes out and comes back through the commands with no
  /// --model: `export` reads its architecture from the weights file, `convert` from the ONNX metadata.
  func testACustomModelRoundTripsThroughTheCommands() throws {
    let folder = try makeTemporaryFolder("export-custom")
    let scaled = try ModelRegistry.compoundScaled(
      phi: 0.5, scaling: .paper, base: ModelRegistry.configuration(named: "efficientnet_b0"))
    let network = try ClassifierExportTests.deterministicModel(scaled)
    let weights = folder.appendingPathComponent("phi.safetensors")
    try network.safeTensors().write(to: weights)
    let model = folder.appendingPathComponent("phi.onnx")
    let export = try ToolProcess.run(["export", weights.path, "--output", model.path])
    XCTAssertEqual(export.exitStatus, 0, export.error)
    let back = folder.appendingPathComponent("back.safetensors")
    let convert = try ToolProcess.run(["convert", model.path, back.path])
    XCTAssertEqual(convert.exitStatus, 0, convert.error)
    let loaded = try EfficientNet.load(contentsOf: back).model
    XCTAssertEqual(loaded.configuration, network.configuration)
    let input = Tensor(
      shape: [1, 64, 64, 3],
      values: DeterministicWeights.uniform(count: 64 * 64 * 3, name: "c").map(Float.init))
    assertClose(
      try XCTUnwrap(try InferenceEngine(model: loaded).evaluate(input).logits),
      try XCTUnwrap(try InferenceEngine(model: network).evaluate(input).logits), tolerance: 1e-4, "phi 0.5")
  }

  /// A detector's weights file exports through the command, with its stored class names; without
  /// weights the command says what to give.
  func testADetectorExportsFromItsWeightsFile() throws {
    let folder = try makeTemporaryFolder("export-detector")
    var detector = try DetectorExportTests.detector("tf_efficientdet_lite0", height: 64, width: 64)
    detector.classNames = ["a", "b", "c", "d"]
    let weights = folder.appendingPathComponent("detector.safetensors")
    try detector.write(to: weights, classNames: detector.classNames)
    let model = folder.appendingPathComponent("detector.onnx")
    let export = try ToolProcess.run([
      "export", weights.path, "--model", "efficientdet-lite0", "--size", "64x64", "--output", model.path,
    ])
    XCTAssertEqual(export.exitStatus, 0, export.error)
    XCTAssertTrue(export.error.contains("NMS not in the graph"), export.error)
    let report = try ONNXRuntimeRunner(folder: folder).run([
      ONNXRuntimeRunner.Job(model: model, inputs: [Tensor(zeros: [1, 3, 64, 64])])
    ])
    XCTAssertEqual(report[0].metadata["class_names"], #"["a","b","c","d"]"#)
    XCTAssertEqual(report[0].runs[0].shapes.count, 10)
    let missing = try ToolProcess.run(["export", "--model", "efficientdet-lite0", "--output", model.path])
    XCTAssertNotEqual(missing.exitStatus, 0)
    XCTAssertTrue(missing.error.contains("give its weights file"), missing.error)
  }
}
