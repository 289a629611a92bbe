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
    try DeterministicDetectors.detector(name, height: height, width: width)
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

  /// With `decodesBoxes`, the graph's `boxes` and `scores` are our decoding of our heads' outputs
  /// (``BoxCoding/decode(_:anchor:)`` against ``AnchorGrid``, sigmoid scores), every anchor in order.
  func testDecodedBoxesMatchOurDecoding() throws {
    let folder = try makeTemporaryFolder("onnx-decoded")
    let (height, width) = (100, 150)
    let detector = try Self.detector("tf_efficientdet_d0", height: height, width: width)
    var options = ONNXExportOptions()
    options.decodesBoxes = true
    let url = folder.appendingPathComponent("decoded.onnx")
    try ONNXExport.detector(detector, classNames: nil, options: options).write(to: url)
    let input = Tensor(
      shape: [2, 3, height, width],
      values: DeterministicWeights.uniform(count: 2 * 3 * height * width, name: "decoded").map {
        Float(2 * $0)
      })
    let report = try ONNXRuntimeRunner(folder: folder).run([
      ONNXRuntimeRunner.Job(model: url, inputs: [input])
    ])[0]
    XCTAssertFalse(report.operators.contains("NonMaxSuppression"))
    let output = try DetectorEngine(detector).evaluate(input.nchwToNHWC())
    let anchors = AnchorGrid(layout: detector.layout, height: height, width: width).boxes
    var boxes: [Float] = []
    var scores: [Float] = []
    for image in 0..<2 {
      var anchorIndex = 0
      for (classes, codes) in zip(output.classOutputs, output.boxOutputs) {
        let classValues = classes.scalars
        let codeValues = codes.scalars
        let perImageAnchors = codeValues.count / 2 / 4
        for local in 0..<perImageAnchors {
          let base = (image * perImageAnchors + local) * 4
          let code = SIMD4(codeValues[base], codeValues[base + 1], codeValues[base + 2], codeValues[base + 3])
          let box = BoxCoding.decode(code, anchor: anchors[anchorIndex])
          boxes += [box[0], box[1], box[2], box[3]]
          let classCount = detector.configuration.classCount
          let start = (image * perImageAnchors + local) * classCount
          scores += classValues[start..<(start + classCount)].map { 1 / (1 + exp(-$0)) }
          anchorIndex += 1
        }
      }
    }
    let run = report.runs[0]
    XCTAssertEqual(run.shapes, [[2, anchors.count, 4], [2, anchors.count, 4]])
    for (mode, outputs) in [("optimizations off", run.disabled), ("optimizations on", run.enabled)] {
      let scale = boxes.map(abs).max() ?? 0
      let boxDifference = zip(outputs[0], boxes).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThanOrEqual(boxDifference, 1e-4 * scale, "boxes, \(mode)")
      let scoreDifference = zip(outputs[1], scores).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThanOrEqual(scoreDifference, 1e-5, "scores, \(mode)")
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
