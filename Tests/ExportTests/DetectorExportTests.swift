import EfficientNetCore
import EfficientNetDetection
import EfficientNetExport
import EfficientNetTestSupport
import XCTest

/// Exported detectors against ONNX Runtime: every head output of D0 and Lite0 (deterministic
/// weights, batch norms and fusion weights randomized, some negative), with graph optimizations off
/// and on, at batch 1 and 2, within 1e-4 of the level's largest value of ours (which the detection
/// tests hold to effdet); one size makes the upsampling targets other than twice the source.
final class DetectorExportTests: XCTestCase {
  static func detector(_ name: String, height: Int, width: Int) throws -> EfficientDet {
    var configuration = try DetectorRegistry.configuration(named: name)
    configuration.classCount = 4
    configuration.inputHeight = height
    configuration.inputWidth = width
    let layout = try DetectorLayout(configuration)
    let tensors = Dictionary(
      uniqueKeysWithValues: layout.parameters.map {
        ($0.name, DeterministicWeights.tensor(named: $0.name, shape: $0.shape))
      })
    return try EfficientDet(configuration: configuration, tensors: tensors, source: name)
  }

  func testHeadOutputsMatchONNXRuntime() throws {
    let folder = try makeTemporaryFolder("onnx-detector")
    let cases = [
      ("tf_efficientdet_d0", 128, 192), ("tf_efficientdet_lite0", 128, 128), ("tf_efficientdet_d0", 100, 150),
    ]
    var jobs: [ONNXRuntimeRunner.Job] = []
    var expected: [[[Tensor]]] = []
    for (index, (name, height, width)) in cases.enumerated() {
      let detector = try Self.detector(name, height: height, width: width)
      let url = folder.appendingPathComponent("\(name)-\(index).onnx")
      try ONNXExport.detector(detector, classNames: ["a", "b", "c", "d"]).write(to: url)
      let inputs = [1, 2].map { batch in
        Tensor(
          shape: [batch, 3, height, width],
          values: DeterministicWeights.uniform(count: batch * 3 * height * width, name: "\(name)\(batch)").map
          {
            Float(2 * $0)
          })
      }
      jobs.append(ONNXRuntimeRunner.Job(model: url, inputs: inputs))
      let engine = DetectorEngine(detector)
      expected.append(
        try inputs.map { input in
          let output = try engine.evaluate(input.nchwToNHWC())
          return (output.classOutputs + output.boxOutputs).map { $0.nhwcToNCHW() }
        })
    }
    let reports = try ONNXRuntimeRunner(folder: folder).run(jobs)
    for ((name, height, width), (report, batches)) in zip(cases, zip(reports, expected)) {
      let label = "\(name) \(height)x\(width)"
      XCTAssertFalse(report.operators.contains("Pad"), label)
      XCTAssertEqual(report.metadata["task"], "detection", label)
      XCTAssertEqual(report.metadata["class_names"], #"["a","b","c","d"]"#, label)
      for (run, ours) in zip(report.runs, batches) {
        XCTAssertEqual(run.shapes, ours.map(\.shape), label)
        for (mode, outputs) in [("optimizations off", run.disabled), ("optimizations on", run.enabled)] {
          for (index, (theirs, mine)) in zip(outputs, ours).enumerated() {
            let scale = mine.scalars.map(abs).max() ?? 0
            let difference = zip(theirs, mine.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(
              difference, 1e-4 * scale, "\(label) batch \(mine.shape[0]) output \(index), \(mode)")
          }
        }
      }
    }
  }

  /// A detector at a dynamic size is refused, naming the flag.
  func testDynamicSizeIsRefused() throws {
    var options = ONNXExportOptions()
    options.size = .dynamic
    XCTAssertThrowsError(
      try ONNXExport.detector(
        Self.detector("tf_efficientdet_lite0", height: 64, width: 64), classNames: nil, options: options)
    ) { XCTAssertTrue("\($0)".contains("--size dynamic"), "\($0)") }
  }
}
