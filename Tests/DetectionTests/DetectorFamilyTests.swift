import EfficientNetDetection
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import XCTest

/// The detector family against effdet 0.4.1: parameter counts, torch-counted MACs and state-dict
/// names (`Fixtures/detector-family.json`, made by `Fixtures/make_detector_fixtures.py`).
final class DetectorFamilyTests: XCTestCase {
  private struct Entry: Decodable {
    var params: Int
    var macsAt256: Int
    var tensors: [[Tensor]]?

    enum Tensor: Decodable {
      case name(String), shape([Int])

      init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let name = try? container.decode(String.self) {
          self = .name(name)
        } else {
          self = .shape(try container.decode([Int].self))
        }
      }
    }

    enum CodingKeys: String, CodingKey {
      case params, macsAt256 = "macs_at_256", tensors
    }
  }

  private func family() throws -> [String: Entry] {
    let data = try Data(contentsOf: RepositoryPaths.fixtures("DetectionTests", "detector-family.json"))
    return try JSONDecoder().decode([String: Entry].self, from: data)
  }

  func testEveryNamedDetectorHasEffdetsParameterCountAndMACs() throws {
    let family = try family()
    XCTAssertEqual(Set(family.keys), Set(DetectorRegistry.names))
    for configuration in DetectorRegistry.all() {
      let expected = try XCTUnwrap(family[configuration.name], configuration.name)
      let layout = try DetectorLayout(configuration)
      XCTAssertEqual(layout.cost().parameters, expected.params, configuration.name)
      XCTAssertEqual(
        layout.cost(height: 256, width: 256).multiplyAccumulates, expected.macsAt256, configuration.name)
    }
    // The issue's anchor: D0 with COCO's 90 classes.
    let d0 = try DetectorLayout(DetectorRegistry.configuration(named: "d0"))
    XCTAssertEqual(d0.cost().parameters, 3_880_067)
    XCTAssertEqual(d0.anchorCount(), 49_104)
  }

  func testStateDictNamesAndShapesAreEffdets() throws {
    for (name, entry) in try family() {
      guard let tensors = entry.tensors else { continue }
      var expected: [String: [Int]] = [:]
      for pair in tensors {
        guard case .name(let key) = pair[0], case .shape(let shape) = pair[1] else {
          return XCTFail("malformed fixture row \(pair)")
        }
        expected[key] = shape
      }
      let ours = try DetectorLayout(DetectorRegistry.configuration(named: name)).parameters
      XCTAssertEqual(ours.count, expected.count, name)
      let actual = Dictionary(ours.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
      XCTAssertEqual(actual.count, ours.count, "\(name): a name repeats")
      for (key, shape) in expected where actual[key] != shape {
        XCTFail("\(name): \(key) is \(actual[key].map { "\($0)" } ?? "missing"), effdet has \(shape)")
      }
    }
  }

  func testPyramidGraphIsThePapersNodeList() {
    let graph = PyramidGraph(levels: 3...7)
    XCTAssertEqual(graph.nodes.map(\.level), [6, 5, 4, 3, 4, 5, 6, 7])
    XCTAssertEqual(
      graph.nodes.map(\.inputs),
      [[3, 4], [2, 5], [1, 6], [0, 7], [1, 7, 8], [2, 6, 9], [3, 5, 10], [4, 11]])
    XCTAssertEqual(graph.outputs, [8, 9, 10, 11, 12])
    // D7x's six levels: the same rule, one more node each way.
    let wide = PyramidGraph(levels: 3...8)
    XCTAssertEqual(wide.nodes.count, 10)
    XCTAssertEqual(wide.nodes.last, PyramidNode(level: 8, inputs: [5, 14]))
  }

  func testCompoundScalingGivesTheTableAtIntegersAndTheRuleBetween() throws {
    for phi in 0...7 {
      let scaled = try DetectorRegistry.compoundScaled(phi: Double(phi))
      XCTAssertEqual(scaled, try DetectorRegistry.configuration(named: "d\(phi)"))
    }
    let between = try DetectorRegistry.configuration(named: "efficientdet-phi1.5")
    // 64·1.35^1.5 = 100.4 → 104; 3 + ⌊1.5⌋ cells; 3 + ⌊0.5⌋ repeats; 512 + 192 = 704 → 640.
    XCTAssertEqual(between.pyramidChannels, 104)
    XCTAssertEqual(between.pyramidCells, 4)
    XCTAssertEqual(between.headRepeats, 3)
    XCTAssertEqual(between.inputHeight, 640)
    XCTAssertEqual(between.backbone.widthMultiplier, pow(1.1, 1.5), accuracy: 1e-12)
    XCTAssertGreaterThan(
      try DetectorLayout(between).cost().parameters,
      try DetectorLayout(DetectorRegistry.configuration(named: "d1")).cost().parameters)
  }

  func testNamesAndErrors() throws {
    XCTAssertEqual(
      try DetectorRegistry.configuration(named: "efficientdet-lite0").name, "tf_efficientdet_lite0")
    XCTAssertEqual(try DetectorRegistry.configuration(named: "D7X").maximumLevel, 8)
    XCTAssertEqual(try DetectorRegistry.configuration(named: "efficientdet_d0").hasRedundantBias, false)
    XCTAssertTrue(DetectorRegistry.isDetector("tf_efficientdet_d3"))
    XCTAssertFalse(DetectorRegistry.isDetector("b3"))
    XCTAssertFalse(DetectorRegistry.isDetector("lite0"))
    XCTAssertThrowsError(try DetectorRegistry.configuration(named: "efficientdet-d9")) { error in
      XCTAssertTrue("\(error)".contains("tf_efficientdet_d0"), "\(error)")
    }
    XCTAssertThrowsError(try DetectorRegistry.compoundScaled(phi: -1)) { error in
      XCTAssertTrue("\(error)".contains("phi"), "\(error)")
    }
  }
}
