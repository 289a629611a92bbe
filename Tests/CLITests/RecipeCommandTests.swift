import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `train --recipe`: the default recipe follows the starting weights, every setting is printed and
/// stored with its source, a resumed run keeps its recipe, and `--find-lr` writes its curve and
/// nothing else.
final class RecipeCommandTests: XCTestCase {
  private let shipped = RepositoryPaths.file(
    "Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors")

  /// 24 gray 8×8 images as CSV rows: class 0 bright on the left, class 1 on the right.
  private func writeDataset() throws -> URL {
    let url = temporaryLocation("data.csv")
    var rows: [String] = []
    for index in 0..<24 {
      let label = index % 2
      let values = (0..<64).map { position in
        String(((position % 8 < 4) == (label == 0) ? 200 : 40) + (index * 5 + position) % 11)
      }
      rows.append((values + [String(label)]).joined(separator: ","))
    }
    try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// The resolved settings a run stored in its checkpoint, by name.
  private func storedSettings(in folder: URL) throws -> [String: [String: String]] {
    let checkpoint = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("checkpoint.safetensors"))
    let text = try XCTUnwrap(checkpoint.metadata["train.settings"])
    let rows = try JSONDecoder().decode([[String: String]].self, from: Data(text.utf8))
    return Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] ?? "", $0) })
  }

  func testTheDefaultRecipeFollowsTheWeightsAndEverySourceIsPrintedAndStored() throws {
    let data = try writeDataset()
    let pretrained = temporaryLocation("pretrained")
    let fine = try CLITool.run([
      "train", "--weights", shipped.path, "--data", data.path, "--val-split", "0.25", "--resolution", "32",
      "--epochs", "1", "--batch-size", "8", "--weight-decay", "0.02", "--output", pretrained.path,
    ])
    XCTAssertEqual(fine.status, 0, fine.error)
    XCTAssertTrue(fine.error.contains("settings (recipe finetune"), fine.error)
    let stored = try storedSettings(in: pretrained)
    XCTAssertEqual(stored["weight-decay"]?["value"], "0.02")
    XCTAssertEqual(stored["weight-decay"]?["source"], "flag")
    XCTAssertEqual(stored["optimizer"]?["value"], "adamw")
    XCTAssertEqual(stored["optimizer"]?["source"], "recipe finetune")
    XCTAssertEqual(stored["resolution"]?["source"], "flag")
    // The rate is the recipe's 0.01 per 32 images, scaled by sqrt(8 / 32).
    XCTAssertEqual(Double(stored["lr"]?["value"] ?? ""), 0.005)
    XCTAssertTrue(fine.error.contains("weight-decay     0.02"), fine.error)

    let scratch = temporaryLocation("scratch")
    let fresh = try CLITool.run([
      "train", "--model", "lite0", "--data", data.path, "--val-split", "0.25", "--resolution", "32",
      "--epochs", "1", "--batch-size", "8", "--output", scratch.path,
    ])
    XCTAssertEqual(fresh.status, 0, fresh.error)
    XCTAssertTrue(fresh.error.contains("settings (recipe scratch"), fresh.error)
    XCTAssertEqual(try storedSettings(in: scratch)["drop"]?["source"], "recipe scratch")
    // A resumed run keeps its recipe: naming another one is an error that names both.
    let other = try CLITool.run(["train", "--resume", scratch.path, "--recipe", "paper"])
    XCTAssertNotEqual(other.status, 0)
    XCTAssertTrue(other.error.contains("--recipe paper differs from the run's scratch"), other.error)
    let bad = try CLITool.run(["train", "--data", data.path, "--recipe", "fast", "--output", scratch.path])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.error.contains("--recipe must be finetune, scratch or paper, got 'fast'"), bad.error)
  }

  func testFindLRWritesItsCurveAndLeavesTheRunFolderAsItWas() throws {
    let data = try writeDataset()
    let folder = temporaryLocation("sweep")
    let first = try CLITool.run([
      "train", "--weights", shipped.path, "--data", data.path, "--resolution", "32", "--epochs", "1",
      "--batch-size", "8", "--output", folder.path,
    ])
    XCTAssertEqual(first.status, 0, first.error)
    let files = ["checkpoint.safetensors", "model.safetensors", "metrics.jsonl"]
    let before = try files.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    let sweep = try CLITool.run([
      "train", "--weights", shipped.path, "--data", data.path, "--resolution", "32", "--batch-size", "8",
      "--output", folder.path, "--find-lr",
    ])
    XCTAssertEqual(sweep.status, 0, sweep.error)
    let after = try files.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    XCTAssertEqual(before, after, "--find-lr changed the run's files")
    let suggestion = try XCTUnwrap(
      sweep.output.split(separator: " ").dropFirst(2).first.flatMap { Double($0) }, sweep.output)
    XCTAssertTrue(sweep.output.contains("lr_min / 10"), sweep.output)
    // The curve's rates start at 1e-7 and grow; the suggestion is a tenth of the lowest loss's rate.
    let rows = try String(contentsOf: folder.appendingPathComponent("lr-find.csv"), encoding: .utf8)
      .split(separator: "\n").dropFirst().map { $0.split(separator: ",").compactMap { Double($0) } }
    XCTAssertGreaterThan(rows.count, 20)
    XCTAssertEqual(rows[0][1], 1e-7, accuracy: 1e-15)
    XCTAssertTrue(zip(rows, rows.dropFirst()).allSatisfy { $0[1] < $1[1] })
    // The first 10% of the steps (20) settle: they never set the lowest loss.
    let lowest = try XCTUnwrap(rows.dropFirst(20).min { $0[3] < $1[3] })
    XCTAssertEqual(suggestion, lowest[1] / 10, accuracy: lowest[1] / 10 * 0.01)
    // lr-find.svg draws the table: a point per row, at its rate on the logarithmic axis and its loss,
    // and the suggestion marked.
    let plot = try SVGReading(contentsOf: folder.appendingPathComponent("lr-find.svg"))
    let lines = plot.elements(role: "series")
    XCTAssertEqual(lines.map { $0.attributes["data-series"] }, ["loss of each step", "smoothed loss"])
    XCTAssertEqual(lines.map(\.points.count), [rows.count, rows.count])
    let x = try SVGAxisReading(plot, axis: "x", logarithmic: true)
    let y = try SVGAxisReading(plot, axis: "y")
    for (point, row) in zip(lines[1].points, rows) {
      XCTAssertEqual(log10(x.value(atPixel: point.x)), log10(row[1]), accuracy: 1e-3)
      XCTAssertEqual(y.value(atPixel: point.y), row[3], accuracy: y.unitsPerPixel(near: row[3]) * 0.01)
    }
    let ring = try XCTUnwrap(plot.elements(role: "highlight").first?.number("cx"))
    XCTAssertEqual(x.value(atPixel: ring), suggestion, accuracy: suggestion * 0.01)
  }
}
