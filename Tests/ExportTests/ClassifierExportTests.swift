import EfficientNetCore
import EfficientNetExport
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// Exported classifiers against ONNX Runtime (through `Fixtures/onnx_runtime_check.py`): onnx's full
/// checker passes, and ONNX Runtime's logits, with graph optimizations off and on, at batch 1 and 3,
/// equal ours within 1e-4, for every kind of model the exporter meets.
final class ClassifierExportTests: XCTestCase {
  /// `configuration` with deterministic weights whose batch norms are no identities.
  static func deterministicModel(_ configuration: Configuration) throws -> EfficientNet {
    try DeterministicClassifiers.model(configuration)
  }

  /// An NCHW input of `shape` with values in [−2, 2).
  static func input(_ shape: [Int], name: String) -> Tensor {
    let values = DeterministicWeights.uniform(count: shape.reduce(1, *), name: name).map { Float(2 * $0) }
    return Tensor(shape: shape, values: values)
  }

  struct Case {
    var name: String
    var network: EfficientNet
    var options: ONNXExportOptions
    var inputs: [[Int]]
    var classNames: [String]? = nil
  }

  func testClassifiersMatchONNXRuntime() throws {
    let folder = try makeTemporaryFolder("onnx-export")
    var cases: [Case] = []
    // A B-family model (symmetric padding), at a fixed 128x128, dynamic batch.
    var fixed = ONNXExportOptions()
    fixed.size = .fixed(height: 128, width: 128)
    cases.append(
      Case(
        name: "efficientnet_b0",
        network: try Self.deterministicModel(ModelRegistry.configuration(named: "efficientnet_b0")),
        options: fixed, inputs: [[1, 3, 128, 128], [3, 3, 128, 128]]))
    // A tf_ model (TF "same") in dynamic mode at non-square, odd sizes.
    var dynamic = ONNXExportOptions()
    dynamic.size = .dynamic
    let tensorFlow = try Self.deterministicModel(ModelRegistry.configuration(named: "tf_efficientnet_b0"))
    cases.append(
      Case(
        name: "tf_b0-dynamic", network: tensorFlow, options: dynamic,
        inputs: [[1, 3, 97, 131], [3, 3, 120, 88]]))
    // The same at a fixed non-square size: explicit asymmetric pads.
    var nonSquare = ONNXExportOptions()
    nonSquare.size = .fixed(height: 97, width: 131)
    cases.append(
      Case(
        name: "tf_b0-97x131", network: tensorFlow, options: nonSquare,
        inputs: [[1, 3, 97, 131], [3, 3, 97, 131]]))
    // The shipped Lite0 (ReLU6, real weights), batch norm as nodes, fixed batch 3.
    let lite0 = try ImageClassifier.pretrainedLite0Model()
    var unfolded = ONNXExportOptions()
    unfolded.foldsBatchNorm = false
    cases.append(
      Case(
        name: "lite0-unfolded", network: lite0, options: unfolded,
        inputs: [[1, 3, 224, 224], [3, 3, 224, 224]]))
    // A custom phi (between B0 and B1) and a fine-tuned one-channel model with its class names.
    let scaled = try ModelRegistry.compoundScaled(
      phi: 0.5, scaling: .paper, base: ModelRegistry.configuration(named: "efficientnet_b0"))
    cases.append(
      Case(
        name: "phi-0.5", network: try Self.deterministicModel(scaled), options: ONNXExportOptions(),
        inputs: [
          [1, 3, scaled.resolution, scaled.resolution], [3, 3, scaled.resolution, scaled.resolution],
        ]))
    var gray = try ModelRegistry.configuration(named: "efficientnet_lite0")
    gray.inputChannels = 1
    gray.classCount = 3
    var grayFixed = ONNXExportOptions()
    grayFixed.size = .fixed(height: 96, width: 96)
    cases.append(
      Case(
        name: "gray-3-classes", network: try Self.deterministicModel(gray), options: grayFixed,
        inputs: [[1, 1, 96, 96], [3, 1, 96, 96]], classNames: ["normal", "pneumonia", "other"]))

    var jobs: [ONNXRuntimeRunner.Job] = []
    var expected: [[Tensor]] = []
    for item in cases {
      let data = try ONNXExport.classifier(item.network, classNames: item.classNames, options: item.options)
      let url = folder.appendingPathComponent(item.name + ".onnx")
      try data.write(to: url)
      let inputs = item.inputs.map { Self.input($0, name: item.name) }
      jobs.append(ONNXRuntimeRunner.Job(model: url, inputs: inputs))
      let engine = InferenceEngine(model: item.network)
      expected.append(try inputs.map { try XCTUnwrap(engine.evaluate($0.nchwToNHWC()).logits) })
    }
    let reports = try ONNXRuntimeRunner(folder: folder).run(jobs)
    for (item, (report, logits)) in zip(cases, zip(reports, expected)) {
      XCTAssertFalse(report.operators.contains("Pad"), "\(item.name): \(report.operators)")
      XCTAssertFalse(report.operators.contains("Reshape"), "\(item.name): \(report.operators)")
      XCTAssertEqual(report.inputShape.first, "batch", item.name)
      XCTAssertEqual(report.metadata["model"], item.network.configuration.name, item.name)
      for (run, ours) in zip(report.runs, logits) {
        XCTAssertEqual(run.shapes, [ours.shape], item.name)
        for (mode, theirs) in [("optimizations off", run.disabled[0]), ("optimizations on", run.enabled[0])] {
          let difference = zip(theirs, ours.scalars).map { abs($0 - $1) }.max() ?? .infinity
          XCTAssertLessThanOrEqual(difference, 1e-4, "\(item.name) batch \(ours.shape[0]), \(mode)")
        }
      }
    }
    // Metadata round-trips: sizes, preprocessing, class names.
    let dynamicReport = reports[1]
    XCTAssertEqual(dynamicReport.inputShape, ["batch", "3", "height", "width"])
    XCTAssertEqual(dynamicReport.metadata["input_size"], "dynamic")
    XCTAssertEqual(reports[0].metadata["input_size"], "128x128")
    XCTAssertEqual(reports[3].metadata["mean"], "[0.485,0.456,0.406]")
    XCTAssertEqual(reports[3].metadata["interpolation"], "bicubic")
    XCTAssertEqual(reports[3].metadata["resize_shorter_side"], "256")
    XCTAssertTrue(reports[3].operators.contains("BatchNormalization"))
    XCTAssertTrue(reports[3].operators.contains("Clip"))
    XCTAssertFalse(reports[0].operators.contains("BatchNormalization"))
    XCTAssertEqual(reports[5].metadata["class_names"], #"["normal","pneumonia","other"]"#)
    XCTAssertEqual(reports[5].metadata["mean"].map { $0.split(separator: ",").count }, 1)
  }

  /// A fixed batch is the graph's batch; bad options are errors naming the flag.
  func testFixedBatchAndBadOptions() throws {
    let lite0 = try ImageClassifier.pretrainedLite0Model()
    var options = ONNXExportOptions()
    options.opset = 12
    XCTAssertThrowsError(try ONNXExport.classifier(lite0, classNames: nil, options: options)) {
      XCTAssertTrue("\($0)".contains("--opset 12"), "\($0)")
    }
    options.opset = 17
    options.size = .fixed(height: 0, width: 10)
    XCTAssertThrowsError(try ONNXExport.classifier(lite0, classNames: nil, options: options)) {
      XCTAssertTrue("\($0)".contains("--size 0x10"), "\($0)")
    }
  }
}
