import Foundation
import WeightIO
import XCTest

/// Runs the built `efficientnet` tool as a user would and checks what it prints and writes.
final class CLITests: XCTestCase {
  /// The `efficientnet` binary beside the test bundle (SwiftPM builds both into one folder).
  private var tool: URL {
    get throws {
      let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent(),
      ].compactMap { $0?.appendingPathComponent("efficientnet") }
      guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
      else {
        throw XCTSkip("efficientnet binary not found beside the tests: \(candidates.map(\.path))")
      }
      return found
    }
  }

  private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("ModelTests/Fixtures")

  /// Runs the tool; returns exit status, standard output and standard error.
  private func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = try tool
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self),
      String(decoding: errorData, as: UTF8.self)
    )
  }

  private func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)-\(name)")
  }

  func testInfoJSONListsEveryVariantWithTheRequiredKeys() throws {
    let result = try run(["info", "--json"])
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
    let result = try run(["info", "--phi", "1.5", "--json"])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(rows.count, 1)
    XCTAssertEqual(try XCTUnwrap(rows[0]["depth"] as? Double), pow(1.2, 1.5), accuracy: 1e-6)
    XCTAssertEqual(try XCTUnwrap(rows[0]["width"] as? Double), pow(1.1, 1.5), accuracy: 1e-6)
    XCTAssertEqual(rows[0]["resolution"] as? Int, Int((224 * pow(1.15, 1.5)).rounded()))
    let custom = try run([
      "info", "--phi", "1,2", "--alpha", "1.3", "--beta", "1.05", "--gamma", "1.1", "--json",
    ])
    XCTAssertEqual(custom.status, 0, custom.error)
    let customRows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(custom.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(try XCTUnwrap(customRows.map { $0["depth"] as? Double }[1]), 1.69, accuracy: 1e-6)
  }

  func testBadFlagsAreClearErrors() throws {
    let negative = try run(["info", "--phi", "-1"])
    XCTAssertNotEqual(negative.status, 0)
    XCTAssertTrue(negative.error.contains("phi"), negative.error)
    let alphaBelowOne = try run(["info", "--phi", "1", "--alpha", "0.5"])
    XCTAssertNotEqual(alphaBelowOne.status, 0)
    XCTAssertTrue(alphaBelowOne.error.contains("alpha"), alphaBelowOne.error)
    let unknown = try run(["info", "--model", "b42"])
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.error.contains("b42"), unknown.error)
  }

  /// `run` on the tiny timm fixture writes logits and features equal to timm's.
  func testRunWritesLogitsAndFeaturesMatchingTimm() throws {
    let output = temporaryFile("out.safetensors")
    defer { try? FileManager.default.removeItem(at: output) }
    let weights = fixtures.appendingPathComponent("tiny_b0.weights.safetensors").path
    let input = fixtures.appendingPathComponent("tiny_b0.io.safetensors")
    // The tiny fixture is B0's table at width and depth 0.25: plain B0 does not fit it.
    let mismatch = try run([
      "run", "--model", "b0", "--weights", weights, "--input", input.path, "--output", output.path,
    ])
    XCTAssertNotEqual(mismatch.status, 0)
    XCTAssertTrue(mismatch.error.contains("tiny_b0.weights.safetensors"), mismatch.error)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))

    let result = try run([
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
    let result = try run([
      "run", "--weights", "/nonexistent/w.safetensors", "--input", "/nonexistent/x.safetensors", "--output",
      temporaryFile("y.safetensors").path,
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.error.contains("/nonexistent/w.safetensors"), result.error)
  }
}
