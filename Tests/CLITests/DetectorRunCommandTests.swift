import EfficientNetCore
import EfficientNetDetection
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `efficientnet run` on a detector: effdet-named weights in, effdet's head outputs and bench
/// detections out (the DetectionTests parity fixture, made with effdet 0.4.1).
final class DetectorRunCommandTests: XCTestCase {
  func testRunWritesEffdetsOutputsAndDetections() throws {
    let folder = try makeTemporaryFolder("detector-run")
    let (name, height, width) = ("tf_efficientdet_lite0", 128, 128)
    var configuration = try DetectorRegistry.configuration(named: name)
    configuration.classCount = 4
    var weights = SafeTensorsWriter()
    for parameter in try DetectorLayout(configuration).parameters {
      let tensor = DeterministicWeights.tensor(named: parameter.name, shape: parameter.shape)
      try weights.add(name: parameter.name, shape: tensor.shape, values: tensor.scalars)
    }
    let weightsURL = folder.appendingPathComponent("lite0.safetensors")
    try weights.write(to: weightsURL)
    let values = DeterministicWeights.uniform(count: 2 * 3 * height * width, name: name + ".input").map {
      Float(2 * $0)
    }
    var input = SafeTensorsWriter()
    try input.add(name: "input", shape: [2, 3, height, width], values: values)
    let inputURL = folder.appendingPathComponent("x.safetensors")
    try input.write(to: inputURL)
    let outputURL = folder.appendingPathComponent("y.safetensors")

    let result = try CLITool.run([
      "run", "--model", "efficientdet-lite0", "--weights", weightsURL.path, "--input", inputURL.path,
      "--output",
      outputURL.path,
    ])
    XCTAssertEqual(result.status, 0, result.error)
    let ours = try SafeTensorsFile(contentsOf: outputURL)
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "detector-parity.safetensors")
    for kind in ["class_out", "box_out"] {
      for level in 0..<5 {
        let expected = try fixture.floatTensor(named: "\(name).\(kind).\(level)")
        assertClose(
          try ours.floatTensor(named: "\(kind).\(level)"), expected, tolerance: 1e-4 * maxMagnitude(expected),
          "\(kind).\(level)")
      }
    }
    let detections = try ours.floatTensor(named: "detections")
    let expected = try fixture.floatTensor(named: "\(name).detections")
    XCTAssertEqual(detections.shape, [2, 100, 6])
    // Rows in the same order (no near-ties in this case): boxes within 1e-3 px, scores 1e-4, classes equal.
    assertClose(detections, expected, tolerance: 1e-3, "detections")
  }

  func testWrongInputShapeNamesTheTensor() throws {
    let folder = try makeTemporaryFolder("detector-run")
    var input = SafeTensorsWriter()
    try input.add(name: "input", shape: [1, 1, 64, 64], values: [Float](repeating: 0, count: 64 * 64))
    let inputURL = folder.appendingPathComponent("x.safetensors")
    try input.write(to: inputURL)
    var configuration = try DetectorRegistry.configuration(named: "efficientdet-lite0")
    configuration.classCount = 1
    var weights = SafeTensorsWriter()
    for parameter in try DetectorLayout(configuration).parameters {
      try weights.add(
        name: parameter.name, shape: parameter.shape,
        values: DeterministicWeights.tensor(named: parameter.name, shape: parameter.shape).scalars)
    }
    let weightsURL = folder.appendingPathComponent("w.safetensors")
    try weights.write(to: weightsURL)
    let result = try CLITool.run([
      "run", "--model", "tf_efficientdet_lite0", "--weights", weightsURL.path, "--input", inputURL.path,
      "--output", folder.appendingPathComponent("y.safetensors").path,
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.error.contains("'input'") && result.error.contains("[N, 3, H, W]"), result.error)
    // Classifier weights given to a detector: the first missing tensor is named.
    let classifier = try CLITool.run([
      "run", "--model", "tf_efficientdet_lite0", "--weights",
      RepositoryPaths.file("Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors").path,
      "--input",
      inputURL.path, "--output", folder.appendingPathComponent("z.safetensors").path,
    ])
    XCTAssertNotEqual(classifier.status, 0)
    XCTAssertTrue(classifier.error.contains("tensor '"), classifier.error)
  }
}
