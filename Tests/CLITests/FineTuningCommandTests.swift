import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `train` fine-tuning flags and cross-validation, and `evaluate`'s ROC AUC and threshold metrics, run
/// through the built tool.
final class FineTuningCommandTests: XCTestCase {
  private let shipped = RepositoryPaths.file(
    "Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors")

  /// 32 gray 8×8 images as CSV rows: class 0 bright on the left, class 1 on the right (24 to 8).
  private func writeDataset() throws -> URL {
    let url = temporaryLocation("data.csv")
    var rows: [String] = []
    for index in 0..<32 {
      let label = index % 4 == 0 ? 1 : 0
      var values: [String] = []
      for position in 0..<64 {
        let bright = (position % 8 < 4) == (label == 0)
        values.append(String((bright ? 200 : 40) + (index * 7 + position) % 13))
      }
      rows.append((values + [String(label)]).joined(separator: ","))
    }
    try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  private var common: [String] {
    [
      "train", "--model", "lite0", "--resolution", "32", "--batch-size", "8", "--optimizer", "adamw", "--lr",
      "0.001",
    ]
  }

  func testGrayFineTuningAdaptsTheStemAndFreezesTheBackbone() throws {
    let data = try writeDataset()
    let output = temporaryLocation("gray")
    let result = try CLITool.run(
      common + [
        "--data", data.path, "--val-split", "0.25", "--epochs", "1", "--weights", shipped.path,
        "--input-channels", "1", "--freeze-epochs", "1", "--class-weights", "balanced", "--layer-decay",
        "0.8",
        "--output", output.path,
      ])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.error.contains("backbone frozen for 1 epochs"), result.error)
    XCTAssertTrue(result.error.contains("class weights"), result.error)
    let trained = try SafeTensorsFile(contentsOf: output.appendingPathComponent("model.safetensors"))
    let pretrained = try SafeTensorsFile(contentsOf: shipped)
    let stem = try trained.tensor(named: "conv_stem.weight")
    XCTAssertEqual(stem.shape, [32, 1, 3, 3])
    // Frozen for the only epoch: the stem is exactly timm's adaptation, the sum of the RGB filters.
    let rgb = try pretrained.tensor(named: "conv_stem.weight").floats()
    let expected = (0..<(32 * 9)).map { index in
      let (output, tap) = (index / 9, index % 9)
      return (0..<3).reduce(Float(0)) { $0 + rgb[(output * 3 + $1) * 9 + tap] }
    }
    XCTAssertEqual(stem.floats(), expected)
    XCTAssertEqual(
      try trained.tensor(named: "bn2.running_var").floats(),
      try pretrained.tensor(named: "bn2.running_var").floats())
    let metrics = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertTrue(metrics.contains("\"val_auc\""), metrics)

    // evaluate: ROC AUC and the binary metrics at a threshold, consistent with their counts.
    let evaluated = try CLITool.run([
      "evaluate", "--model", "lite0", "--weights", output.appendingPathComponent("model.safetensors").path,
      "--data", data.path, "--resolution", "32", "--threshold", "0.3", "--positive-class", "1", "--json",
    ])
    XCTAssertEqual(evaluated.status, 0, evaluated.error)
    let report = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
    let auc = try XCTUnwrap(report["roc_auc_per_class"] as? [Double])
    XCTAssertEqual(auc.count, 2)
    XCTAssertEqual(auc[0], auc[1], accuracy: 1e-6, "two classes: both one-vs-rest areas are the same")
    XCTAssertEqual(try XCTUnwrap(report["roc_auc_macro"] as? Double), auc[1], accuracy: 1e-6)
    let binary = try XCTUnwrap(report["binary"] as? [String: Any])
    XCTAssertEqual(binary["threshold"] as? Double, 0.3)
    let truePositives = try XCTUnwrap(binary["true_positives"] as? Int)
    let falseNegatives = try XCTUnwrap(binary["false_negatives"] as? Int)
    XCTAssertEqual(truePositives + falseNegatives, 8)
    XCTAssertEqual(
      try XCTUnwrap(binary["sensitivity"] as? Double), Double(truePositives) / 8, accuracy: 1e-12)
    XCTAssertEqual(
      (binary["true_negatives"] as? Int ?? 0) + (binary["false_positives"] as? Int ?? 0), 24)
  }

  /// `evaluate --plot DIR`: the confusion matrix with the counts the report gives, the ROC curve of a
  /// two-class set with its AUC, DIR created when missing, and a file in its place refused by flag.
  func testEvaluatePlotWritesTheConfusionMatrixAndTheROCCurve() throws {
    let data = try writeDataset()
    let output = temporaryLocation("plotted")
    let trained = try CLITool.run(
      common + [
        "--data", data.path, "--epochs", "1", "--weights", shipped.path, "--freeze-epochs", "1", "--output",
        output.path,
      ])
    XCTAssertEqual(trained.status, 0, trained.error)
    let weights = output.appendingPathComponent("model.safetensors").path
    let plots = output.appendingPathComponent("plots/new")
    let evaluated = try CLITool.run([
      "evaluate", "--weights", weights, "--data", data.path, "--resolution", "32", "--json", "--plot",
      plots.path,
    ])
    XCTAssertEqual(evaluated.status, 0, evaluated.error)
    let matrixURL = plots.appendingPathComponent("confusion-matrix.svg")
    let rocURL = plots.appendingPathComponent("roc.svg")
    XCTAssertTrue(evaluated.error.contains(matrixURL.path), evaluated.error)
    XCTAssertTrue(evaluated.error.contains(rocURL.path), evaluated.error)
    let report = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(evaluated.output.utf8)) as? [String: Any])
    let confusion = try XCTUnwrap(report["confusion_matrix"] as? [[Int]])
    let matrix = try SVGReading(contentsOf: matrixURL)
    XCTAssertEqual(matrix.elements(role: "count").map(\.text), confusion.flatMap { $0 }.map(String.init))
    XCTAssertEqual(matrix.elements(role: "row-label").map(\.text), ["0", "1"])
    let area = try XCTUnwrap((report["roc_auc_per_class"] as? [Double])?[1])
    let roc = try SVGReading(contentsOf: rocURL)
    XCTAssertEqual(
      roc.elements(role: "title").first?.text, "ROC curve: 1 positive (AUC \(String(format: "%.4f", area)))")
    let curve = try XCTUnwrap(roc.elements(role: "series").last?.points)
    let (x, y) = (try SVGAxisReading(roc, axis: "x"), try SVGAxisReading(roc, axis: "y"))
    XCTAssertEqual(x.value(atPixel: curve.first!.x), 0, accuracy: 1e-4)
    XCTAssertEqual(y.value(atPixel: curve.first!.y), 0, accuracy: 1e-4)
    XCTAssertEqual(x.value(atPixel: curve.last!.x), 1, accuracy: 1e-4)
    XCTAssertEqual(y.value(atPixel: curve.last!.y), 1, accuracy: 1e-4)

    // A file where the folder should be: an error naming the flag, before any work.
    let refused = try CLITool.run([
      "evaluate", "--weights", weights, "--data", data.path, "--resolution", "32", "--plot", weights,
    ])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.error.contains("--plot \(weights): is a regular file"), refused.error)
  }

  /// `train` rewrites curves.svg after every epoch; when it cannot (a folder in its place), it warns
  /// once and trains on.
  func testTrainingGoesOnWhenItsPictureCannotBeWritten() throws {
    let data = try writeDataset()
    let output = try makeTemporaryFolder("blocked")
    try FileManager.default.createDirectory(
      at: output.appendingPathComponent("curves.svg"), withIntermediateDirectories: false)
    let result = try CLITool.run(
      common + [
        "--data", data.path, "--epochs", "2", "--weights", shipped.path, "--freeze-epochs", "2", "--output",
        output.path,
      ])
    XCTAssertEqual(result.status, 0, result.error)
    let warnings = result.error.components(separatedBy: "warning: ").count - 1
    XCTAssertEqual(warnings, 1, result.error)
    XCTAssertTrue(result.error.contains("curves.svg: refusing to write over a directory"), result.error)
    let metrics = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").count, 2)
  }

  func testFoldsRunsEveryFoldAndReportsAUC() throws {
    let data = try writeDataset()
    let output = temporaryLocation("folds")
    let result = try CLITool.run(
      common + ["--data", data.path, "--epochs", "1", "--folds", "2", "--output", output.path])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.contains("fold 2"), result.output)
    XCTAssertTrue(result.output.contains("mean AUC over 2 folds"), result.output)
    let summary = try XCTUnwrap(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: output.appendingPathComponent("cross_validation.json"))) as? [String: Any])
    let folds = try XCTUnwrap(summary["folds"] as? [[String: Any]])
    XCTAssertEqual(folds.compactMap { $0["samples"] as? Int }, [16, 16])
    let aucs = folds.compactMap { $0["auc"] as? Double }
    XCTAssertEqual(aucs.count, 2)
    XCTAssertEqual(
      try XCTUnwrap(summary["mean_auc"] as? Double), (aucs[0] + aucs[1]) / 2, accuracy: 1e-12)
    for fold in 1...2 {
      XCTAssertTrue(
        FileManager.default.fileExists(
          atPath: output.appendingPathComponent("fold-\(fold)/model.safetensors").path))
    }
    let refused = try CLITool.run(
      common + ["--data", data.path, "--folds", "2", "--train-count", "8", "--output", output.path])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.error.contains("--folds"), refused.error)
  }
}
