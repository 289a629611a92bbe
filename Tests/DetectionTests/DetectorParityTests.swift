import EfficientNetCore
import EfficientNetDetection
import EfficientNetModels
import EfficientNetTestSupport
import WeightIO
import XCTest

/// The detector's forward pass against effdet 0.4.1 (`Fixtures/detector-parity.safetensors`, made
/// by `Fixtures/make_detector_parity.py` from deterministic weights with randomized batch-norm
/// statistics and fusion weights): head outputs per level within 1e-4 of their largest magnitude.
final class DetectorParityTests: XCTestCase {
  /// The fixture's cases: model, input height and width; 4 classes, batch 2.
  static let cases = [("tf_efficientdet_d0", 128, 192), ("tf_efficientdet_lite0", 128, 128)]
  static let classCount = 4
  static let batch = 2

  /// The detector `name` at `height`×`width` with the fixture's weights.
  static func detector(_ name: String, height: Int, width: Int) throws -> EfficientDet {
    try DeterministicDetectors.detector(name, height: height, width: width, classCount: classCount)
  }

  /// The fixture's input for `name`, NCHW `[2, 3, H, W]` values in [−2, 2).
  static func input(_ name: String, height: Int, width: Int) -> Tensor {
    let count = batch * 3 * height * width
    let values = DeterministicWeights.uniform(count: count, name: name + ".input").map { Float(2 * $0) }
    return Tensor(shape: [batch, 3, height, width], values: values)
  }

  func testHeadOutputsMatchEffdet() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "detector-parity.safetensors")
    for (name, height, width) in Self.cases {
      let engine = DetectorEngine(try Self.detector(name, height: height, width: width))
      let output = try engine.evaluate(Self.input(name, height: height, width: width).nchwToNHWC())
      XCTAssertEqual(output.classOutputs.count, 5)
      for level in 0..<5 {
        for (kind, ours) in [
          ("class_out", output.classOutputs[level]), ("box_out", output.boxOutputs[level]),
        ] {
          let expected = try fixture.floatTensor(named: "\(name).\(kind).\(level)")
          let tolerance = 1e-4 * maxMagnitude(expected)
          assertClose(ours.nhwcToNCHW(), expected, tolerance: tolerance, "\(name) \(kind).\(level)")
        }
      }
    }
  }

  /// The engine reuses its buffers and output tensors between evaluations: outputs the caller kept
  /// stay as they were, outputs it let go are rewritten, and a second input, a third evaluation at
  /// another size and a return to the first give what a fresh engine gives.
  func testReusedBuffersNeverChangeAKeptOutput() throws {
    let (name, height, width) = Self.cases[0]
    let detector = try Self.detector(name, height: height, width: width)
    let engine = DetectorEngine(detector)
    let first = Self.input(name, height: height, width: width).nchwToNHWC()
    let second = Tensor(shape: first.shape, values: first.scalars.map { -0.5 * $0 })
    let kept = try engine.evaluate(first)
    let keptValues = kept.classOutputs.map(\.scalars) + kept.boxOutputs.map(\.scalars)
    for input in [second, Tensor(zeros: [1, 64, 96, 3]), second] {
      let ours = try engine.evaluate(input)
      let fresh = try DetectorEngine(detector).evaluate(input)
      XCTAssertEqual(ours.classOutputs.map(\.scalars), fresh.classOutputs.map(\.scalars))
      XCTAssertEqual(ours.boxOutputs.map(\.scalars), fresh.boxOutputs.map(\.scalars))
    }
    XCTAssertEqual(kept.classOutputs.map(\.scalars) + kept.boxOutputs.map(\.scalars), keptValues)
  }
}
