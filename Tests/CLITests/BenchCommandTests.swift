import EfficientNetTestSupport
import Foundation
import XCTest

/// Runs the built `efficientnet bench` on a tiny model and checks its report and its errors.
final class BenchCommandTests: XCTestCase {
  /// B0's table at width and depth 0.25 and 32×32: a few milliseconds per pass.
  private let tinyModel = [
    "bench", "--model", "b0", "--width", "0.25", "--depth", "0.25", "--resolution", "32", "--threads", "2",
    "--warmup", "1", "--iterations", "5", "--seconds", "0", "--json",
  ]

  /// Parses the one JSON object `bench --json` prints and checks what holds for any run.
  private func checkReport(_ output: String, mode: String, batch: Int) throws -> [String: Any] {
    let report = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], output)
    XCTAssertEqual(report["mode"] as? String, mode)
    XCTAssertEqual(report["model"] as? String, "efficientnet_b0")
    XCTAssertEqual(report["batch"] as? Int, batch)
    XCTAssertEqual(report["resolution"] as? Int, 32)
    XCTAssertEqual(report["threads"] as? Int, 2)
    XCTAssertEqual(report["iterations"] as? Int, 5)
    let median = try XCTUnwrap(report["median_ms"] as? Double)
    let p10 = try XCTUnwrap(report["p10_ms"] as? Double)
    let p90 = try XCTUnwrap(report["p90_ms"] as? Double)
    let fastest = try XCTUnwrap(report["min_ms"] as? Double)
    XCTAssertGreaterThan(fastest, 0)
    XCTAssertLessThanOrEqual(fastest, p10)
    XCTAssertLessThanOrEqual(p10, median)
    XCTAssertLessThanOrEqual(median, p90)
    let imagesPerSecond = try XCTUnwrap(report["images_per_second"] as? Double)
    XCTAssertEqual(imagesPerSecond, Double(batch) * 1000 / median, accuracy: 1e-9 * imagesPerSecond)
    // Any process that built a model holds at least a megabyte, and none of these a gigabyte.
    let peak = try XCTUnwrap(report["peak_rss_bytes"] as? Int)
    XCTAssertGreaterThan(peak, 1 << 20)
    XCTAssertLessThan(peak, 1 << 30)
    return report
  }

  func testInferenceJSONHasOrderedPercentilesAndConsistentThroughput() throws {
    let result = try CLITool.run(tinyModel + ["--batch", "3"])
    XCTAssertEqual(result.status, 0, result.error)
    let report = try checkReport(result.output, mode: "inference", batch: 3)
    // The tiny architecture's forward pass at 32×32 is a fixed number of MACs; GFLOP/s follow from it.
    let gigaflops = try XCTUnwrap(report["gflop_per_iteration"] as? Double)
    XCTAssertGreaterThan(gigaflops, 0)
    let median = try XCTUnwrap(report["median_ms"] as? Double)
    XCTAssertEqual(
      try XCTUnwrap(report["achieved_gflops"] as? Double), gigaflops / (median / 1000), accuracy: 1e-6)
  }

  func testTrainingJSONReportsStepsAndAFiniteLoss() throws {
    let result = try CLITool.run(tinyModel + ["--batch", "4", "--train"])
    XCTAssertEqual(result.status, 0, result.error)
    let report = try checkReport(result.output, mode: "train", batch: 4)
    // Random labels over 1000 classes: the smoothed cross-entropy starts near ln(1000) ≈ 6.9.
    let loss = try XCTUnwrap(report["loss"] as? Double)
    XCTAssertGreaterThan(loss, 3)
    XCTAssertLessThan(loss, 20)
  }

  func testProfileBreaksInferenceDownByKindOnStandardErrorWithJSON() throws {
    let result = try CLITool.run(tinyModel + ["--profile"])
    XCTAssertEqual(result.status, 0, result.error)
    _ = try checkReport(result.output, mode: "inference", batch: 1)
    XCTAssertTrue(result.error.contains("by kind:"), result.error)
    XCTAssertTrue(result.error.contains("pointwise"), result.error)
    XCTAssertTrue(result.error.contains("conv_stem"), result.error)
    let training = try CLITool.run(tinyModel + ["--profile", "--train", "--batch", "2"])
    XCTAssertEqual(training.status, 0, training.error)
    XCTAssertTrue(training.error.contains("forward + backward"), training.error)
    XCTAssertTrue(training.error.contains("optimizer"), training.error)
    // Then the kernels, with the longest kind names whole.
    XCTAssertTrue(training.error.contains("batch norm + activation backward"), training.error)
    XCTAssertTrue(training.error.contains("squeeze-excitation backward"), training.error)
    XCTAssertTrue(training.error.contains("1x1 conv backward"), training.error)
  }

  func testBadFlagsAreClearErrorsWithNonZeroStatus() throws {
    let cases: [([String], String)] = [
      (["bench", "--batch", "0"], "--batch must be in 1...4096, got 0"),
      (["bench", "--threads", "0"], "--threads must be in 1...256, got 0"),
      (["bench", "--iterations", "0"], "--iterations must be in 1...1000000, got 0"),
      (["bench", "--seconds", "-1"], "--seconds"),
      (["bench", "--model", "b42"], "known models: efficientnet_b0"),
    ]
    for (arguments, message) in cases {
      let result = try CLITool.run(arguments)
      XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
      XCTAssertTrue(result.error.contains(message), "\(arguments): \(result.error)")
      XCTAssertTrue(result.output.isEmpty, "\(arguments) printed \(result.output)")
    }
  }
}
