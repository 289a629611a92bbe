import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `efficientnet search` and `efficientnet info` with custom coefficients and baselines, as a user
/// runs them.
final class SearchCommandTests: XCTestCase {
  private let csv = RepositoryPaths.fixtures("TrainingTests", "data/tiny.csv")

  func testSearchListsTheGridWithMeasuredMACsRatios() throws {
    let result = try CLITool.run([
      "search", "--data", csv.path, "--baseline", "lite0", "--base-width", "0.5", "--base-resolution", "48",
      "--grid-step", "0.1", "--tolerance", "0.1", "--compare-single", "--list",
    ])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = result.output.split(separator: "\n").filter { $0.hasPrefix("a") }
    XCTAssertEqual(rows.count, 20, result.output)  // 17 compound points + 3 controls
    let paper = try XCTUnwrap(rows.first { $0.hasPrefix("a1.20-b1.10-g1.20 ") })
    let fields = paper.split(separator: " ")
    XCTAssertEqual(fields[1], "compound")
    XCTAssertEqual(Double(fields[2]) ?? 0, 1.2 * 1.1 * 1.1 * 1.2 * 1.2, accuracy: 5e-4)
    XCTAssertEqual(fields[4], "58")  // round(48 · 1.2)
    XCTAssertTrue(result.output.contains("resolution-only"))
  }

  func testSearchRefusesAnEmptyGridAndBadOptionsByName() throws {
    let empty = try CLITool.run([
      "search", "--data", csv.path, "--grid-step", "0.5", "--tolerance", "0.01", "--list",
    ])
    XCTAssertNotEqual(empty.status, 0)
    XCTAssertTrue(empty.error.contains("raise --tolerance"), empty.error)
    let step = try CLITool.run(["search", "--data", csv.path, "--grid-step", "0", "--list"])
    XCTAssertNotEqual(step.status, 0)
    XCTAssertTrue(step.error.contains("--grid-step"), step.error)
  }

  func testInfoScalesACustomBaselineWithFoundCoefficients() throws {
    let result = try CLITool.run([
      "info", "--model", "lite0", "--base-width", "0.5", "--base-resolution", "48", "--phi", "0,1,2",
      "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.2", "--json",
    ])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    XCTAssertEqual(rows.count, 3)
    XCTAssertEqual(rows.map { $0["resolution"] as? Int }, [48, 58, 69])  // 48 · 1.2^φ, rounded
    XCTAssertEqual(rows[1]["width"] as? Double ?? 0, 0.55, accuracy: 1e-9)
    XCTAssertEqual(rows[2]["depth"] as? Double ?? 0, 1.44, accuracy: 1e-9)
    let macs = rows.compactMap { $0["macs"] as? Int }
    XCTAssertEqual(macs.count, 3)
    for (smaller, larger) in zip(macs, macs.dropFirst()) {
      // Each step of φ multiplies FLOPs by about α·β²·γ² = 2.09 (rounding moves it).
      XCTAssertEqual(Double(larger) / Double(smaller), 2.09, accuracy: 0.4)
    }
    let bad = try CLITool.run(["info", "--blocks", "xx_r1", "--phi", "1"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.error.contains("--blocks"), bad.error)
  }

  func testTrainBuildsTheModelScaledByPhiFromACustomBaseline() throws {
    let output = temporaryLocation("scaled")
    let result = try CLITool.run([
      "train", "--model", "b0", "--blocks", "ds_r1_k3_s1_e1_c16,ir_r2_k3_s2_e6_c24_se0.25", "--base-width",
      "0.25",
      "--base-resolution", "16", "--phi", "1", "--alpha", "1.5", "--beta", "1.2", "--gamma", "1.25",
      "--data", csv.path, "--val-split", "0.34", "--epochs", "1", "--batch-size", "2", "--workers", "1",
      "--output", output.path,
    ])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.error.contains("20x20"), result.error)  // round(16 · 1.25)
    let weights = try SafeTensorsFile(contentsOf: output.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(Double(weights.metadata["width"] ?? "") ?? 0, 0.3, accuracy: 1e-9)  // 0.25 · 1.2
    XCTAssertEqual(Double(weights.metadata["depth"] ?? "") ?? 0, 1.5, accuracy: 1e-9)
    // Depth 1.5 turns the second stage's 2 repeats into 3.
    XCTAssertNotNil(weights["blocks.1.2.conv_pw.weight"])
    XCTAssertNil(weights["blocks.1.3.conv_pw.weight"])
    // The run stored its class names; classify prints them and loads the unnamed model unaided.
    XCTAssertEqual(weights.metadata["class_names"], #"["0","1","2"]"#)
    let photo = csv.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples/chelsea.jpg")
    let classified = try CLITool.run([
      "classify", "--weights", output.appendingPathComponent("model.safetensors").path, "--json", photo.path,
    ])
    XCTAssertEqual(classified.status, 0, classified.error)
    let line = try XCTUnwrap(classified.output.split(separator: "\n").first)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    let labels = (object["top"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
    XCTAssertEqual(Set(labels), ["0", "1", "2"], classified.output)
    let bad = try CLITool.run(["train", "--data", csv.path, "--alpha", "1.3", "--output", output.path])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.error.contains("--phi"), bad.error)
  }
}
