import EfficientNetLayers
import EfficientNetModels
import XCTest

final class LayerProfileTests: XCTestCase {
  private func profile(_ times: [(String, String, Double)]) -> LayerProfile {
    var profile = LayerProfile()
    profile.entries = times.map {
      LayerProfile.Entry(layer: $0.0, kind: $0.1, seconds: $0.2, multiplyAccumulates: 1_000_000)
    }
    return profile
  }

  func testMedianIsTakenEntryByEntryAcrossPasses() throws {
    let passes = [
      profile([("conv_stem", "stem", 3), ("blocks.0.0.conv_dw", "depthwise", 10)]),
      profile([("conv_stem", "stem", 1), ("blocks.0.0.conv_dw", "depthwise", 30)]),
      profile([("conv_stem", "stem", 2), ("blocks.0.0.conv_dw", "depthwise", 20)]),
    ]
    let median = try XCTUnwrap(LayerProfile.median(of: passes))
    XCTAssertEqual(median.passes, 3)
    XCTAssertEqual(median.entries.map(\.layer), ["conv_stem", "blocks.0.0.conv_dw"])
    // Each entry's own median (2 and 20), not the entries of the median pass.
    XCTAssertEqual(median.entries.map(\.seconds), [2, 20])
    XCTAssertEqual(median.totalSeconds, 22)
    XCTAssertEqual(median.entries[0].gigaflopsPerSecond, 2 * 1e6 / 2 / 1e9, accuracy: 1e-12)
  }

  func testEvenPassCountAveragesTheMiddleTwoAndMismatchedPassesAreSkipped() throws {
    let passes = [
      profile([("a", "pointwise", 1), ("b", "pointwise", 8)]),
      profile([("a", "pointwise", 4), ("b", "pointwise", 2)]),
      profile([("a", "pointwise", 100)]),  // another plan's layers: not comparable, skipped
    ]
    let median = try XCTUnwrap(LayerProfile.median(of: passes))
    XCTAssertEqual(median.passes, 2)
    XCTAssertEqual(median.entries.map(\.seconds), [2.5, 5])
    XCTAssertEqual(median.byKind.map(\.kind), ["pointwise"])
    XCTAssertEqual(median.byKind.first?.seconds, 7.5)
    XCTAssertNil(LayerProfile.median(of: []))
  }
}
