import EfficientNetDetection
import Foundation
import XCTest

/// `efficientnet info --detectors`: the family table as the library counts it.
final class DetectorInfoCommandTests: XCTestCase {
  private struct Row: Decodable {
    var name: String
    var params: Int
    var macs: Int
    var bifpnChannels: Int
    var levels: String
  }

  func testDetectorsJSONListsEveryDetectorWithItsCounts() throws {
    let result = try CLITool.run(["info", "--detectors", "--json"])
    XCTAssertEqual(result.status, 0, result.error)
    let rows = try JSONDecoder().decode([Row].self, from: Data(result.output.utf8))
    XCTAssertEqual(rows.map(\.name), DetectorRegistry.names)
    let d0 = try XCTUnwrap(rows.first { $0.name == "tf_efficientdet_d0" })
    XCTAssertEqual(d0.params, 3_880_067)
    XCTAssertEqual(rows.first { $0.name == "tf_efficientdet_d7x" }?.levels, "P3-P8")
    for row in rows {
      let cost = try DetectorLayout(DetectorRegistry.configuration(named: row.name)).cost()
      XCTAssertEqual(row.params, cost.parameters, row.name)
      XCTAssertEqual(row.macs, cost.multiplyAccumulates, row.name)
    }
  }

  func testModelNamingDetectorsAndPhi() throws {
    let named = try CLITool.run(["info", "--model", "d0,efficientdet-lite0", "--json"])
    XCTAssertEqual(named.status, 0, named.error)
    let rows = try JSONDecoder().decode([Row].self, from: Data(named.output.utf8))
    XCTAssertEqual(rows.map(\.name), ["tf_efficientdet_d0", "tf_efficientdet_lite0"])

    let scaled = try CLITool.run(["info", "--detectors", "--phi", "1.5", "--json"])
    XCTAssertEqual(scaled.status, 0, scaled.error)
    let scaledRows = try JSONDecoder().decode([Row].self, from: Data(scaled.output.utf8))
    XCTAssertEqual(scaledRows.map(\.bifpnChannels), [104])

    let table = try CLITool.run(["info", "--detectors"])
    XCTAssertTrue(table.output.contains("3,880,067"), table.output)
  }

  func testDetectorErrorsNameTheFlag() throws {
    let unknown = try CLITool.run(["info", "--model", "d9"])
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.error.contains("tf_efficientdet_d0"), unknown.error)
    let alpha = try CLITool.run(["info", "--detectors", "--phi", "1", "--alpha", "1.3"])
    XCTAssertNotEqual(alpha.status, 0)
    XCTAssertTrue(alpha.error.contains("--alpha"), alpha.error)
    let phi = try CLITool.run(["info", "--detectors", "--phi", "-2"])
    XCTAssertNotEqual(phi.status, 0)
    XCTAssertTrue(phi.error.contains("--phi"), phi.error)
  }
}
