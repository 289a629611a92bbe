import EfficientNetCore
import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `efficientnet detect`: the objects the library's detector finds, printed as JSON and drawn.
final class DetectCommandTests: XCTestCase {
  /// Lite0 with 4 classes and the parity fixture's deterministic weights, written as safetensors
  /// with class names.
  private func writeDetector(to url: URL) throws -> EfficientDet {
    var configuration = try DetectorRegistry.configuration(named: "efficientdet-lite0")
    configuration.classCount = 4
    let layout = try DetectorLayout(configuration)
    var tensors: [String: Tensor] = [:]
    var writer = SafeTensorsWriter(metadata: ["class_names": #"["tree","rock","road","roof"]"#])
    for parameter in layout.parameters {
      let tensor = DeterministicWeights.tensor(named: parameter.name, shape: parameter.shape)
      tensors[parameter.name] = tensor
      try writer.add(name: parameter.name, shape: tensor.shape, values: tensor.scalars)
    }
    try writer.write(to: url)
    return try EfficientDet(configuration: configuration, tensors: tensors)
  }

  func testJSONAndDrawingMatchTheLibrary() throws {
    let folder = try makeTemporaryFolder("detect")
    let weights = folder.appendingPathComponent("lite0.safetensors")
    let model = try writeDetector(to: weights)
    let photo = RepositoryPaths.samples.appendingPathComponent("chelsea.jpg")
    let drawn = folder.appendingPathComponent("drawn")
    let result = try CLITool.run([
      "detect", "--model", "efficientdet-lite0", "--weights", weights.path, "--score-threshold", "0.75",
      "--json",
      "--draw", drawn.path, photo.path,
    ])
    XCTAssertEqual(result.status, 0, result.error)
    struct Object: Decodable {
      var `class`: Int
      var label: String
      var score: Float
      var box: [Float]
    }
    struct Line: Decodable {
      var file: String
      var width: Int
      var height: Int
      var objects: [Object]
    }
    let line = try JSONDecoder().decode(Line.self, from: Data(result.output.utf8))
    XCTAssertEqual([line.width, line.height], [451, 300])
    let expected = try ObjectDetector(model: model).detect(
      try ImageDecoder.decode(contentsOf: photo), minimumScore: 0.75)
    XCTAssertFalse(expected.isEmpty)
    XCTAssertEqual(line.objects.map(\.class), expected.map(\.classIndex))
    XCTAssertEqual(
      line.objects.map(\.label), expected.map { ["tree", "rock", "road", "roof"][$0.classIndex - 1] })
    assertClose(
      line.objects.flatMap(\.box), expected.flatMap { [$0.box[0], $0.box[1], $0.box[2], $0.box[3]] },
      tolerance: 1e-3)
    XCTAssertTrue(line.objects.allSatisfy { $0.score >= 0.75 })
    let picture = try ImageDecoder.decode(contentsOf: drawn.appendingPathComponent("chelsea.png"))
    XCTAssertEqual([picture.width, picture.height], [451, 300])
    // The best box's top-left corner carries its class colour.
    let best = expected[0]
    let (x, y) = (Int(best.box[0].rounded()) + 1, Int(best.box[3].rounded()) - 1)
    let index = (y * picture.width + x) * picture.channels
    let colour = DetectionDrawingColours.colour(forClass: best.classIndex)
    XCTAssertEqual(Array(picture.samples8[index..<index + 3]), [colour.x, colour.y, colour.z])
  }

  func testBadFlagsAreNamed() throws {
    let classifier = try CLITool.run(["detect", "--model", "b0", "--weights", "w.pth", "x.jpg"])
    XCTAssertNotEqual(classifier.status, 0)
    XCTAssertTrue(classifier.error.contains("--model b0"), classifier.error)
    let threshold = try CLITool.run(["detect", "--weights", "w.pth", "--score-threshold", "2", "x.jpg"])
    XCTAssertTrue(threshold.error.contains("--score-threshold"), threshold.error)
    let missing = try CLITool.run(["detect", "--weights", "/nonexistent/w.pth", "x.jpg"])
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.error.contains("/nonexistent/w.pth"), missing.error)
  }
}
