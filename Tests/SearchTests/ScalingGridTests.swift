import EfficientNetModels
import EfficientNetSearch
import EfficientNetTestSupport
import Foundation
import XCTest

/// The grid is exactly the set of points the paper's constraint admits, and each candidate's φ = 1
/// model scales the baseline the way compound scaling says.
final class ScalingGridTests: XCTestCase {
  func testGridHoldsExactlyThePointsWithinToleranceOfTheTarget() throws {
    let step = 0.05, target = 2.0, tolerance = 0.1
    let grid = try ScalingGrid.candidates(step: step, target: target, tolerance: tolerance)
    // Brute force over a generous box, written independently of the enumeration's bounds.
    var expected: [String] = []
    for i in 0...30 {
      for j in 0...20 {
        for k in 0...20 {
          let (a, b, g) = (1 + Double(i) * step, 1 + Double(j) * step, 1 + Double(k) * step)
          let scaled = [i, j, k].filter { $0 > 0 }.count
          if abs(a * b * b * g * g - target) <= tolerance + 1e-12 && scaled >= 2 {
            expected.append(ScalingCandidate(alpha: a, beta: b, gamma: g).label)
          }
        }
      }
    }
    XCTAssertEqual(Set(grid.map(\.label)), Set(expected))
    XCTAssertEqual(grid.count, expected.count, "no duplicates")
    XCTAssertTrue(grid.contains { $0.label == "a1.20-b1.10-g1.15" }, "the paper's point (factor 1.92)")
    XCTAssertTrue(grid.allSatisfy { $0.kind == .compound })
  }

  func testSingleDimensionPointsOnlyWhenAsked() throws {
    let without = try ScalingGrid.candidates(step: 0.1, target: 2, tolerance: 0.05)
    let with = try ScalingGrid.candidates(
      step: 0.1, target: 2, tolerance: 0.05, includeSingleDimension: true)
    XCTAssertEqual(
      Set(with.map(\.label)).subtracting(without.map(\.label)),
      ["a2.00-b1.00-g1.00", "a1.00-b1.40-g1.00", "a1.00-b1.00-g1.40"])
    let controls = ScalingGrid.singleDimensionControls(target: 2)
    XCTAssertEqual(controls.map(\.kind), [.depthOnly, .widthOnly, .resolutionOnly])
    for control in controls { XCTAssertEqual(control.flopsFactor, 2, accuracy: 1e-12) }
  }

  func testBadGridOptionsAreNamed() {
    for (step, target, tolerance, option) in [
      (0.0, 2.0, 0.1, "--grid-step"), (0.1, 1.0, 0.1, "--target"), (0.1, 2.0, -1.0, "--tolerance"),
    ] {
      XCTAssertThrowsError(try ScalingGrid.candidates(step: step, target: target, tolerance: tolerance)) {
        XCTAssertTrue(String(describing: $0).hasPrefix(option), "\($0)")
      }
    }
  }

  func testCandidateModelsScaleTheBaselineAndTheirMACsFollowTheFactor() throws {
    var base = try ModelRegistry.configuration(named: "efficientnet_lite0")
    base.widthMultiplier = 0.5
    base.resolution = 64
    base.classCount = 10
    let directory = temporaryLocation("search-grid")
    let search = try ScalingSearch(
      baseline: base, candidates: ScalingGrid.singleDimensionControls(target: 2), directory: directory,
      settings: ["test": "1"])
    let baseMACs = Double(try search.baselineMACs())
    let resolution = try search.configuration(for: ScalingGrid.singleDimensionControls(target: 2)[2])
    XCTAssertEqual(resolution.resolution, 91)  // round(64 · √2)
    XCTAssertEqual(resolution.widthMultiplier, 0.5)
    let resolutionMACs = Double(try resolution.resolve().cost().multiplyAccumulates)
    // Feature maps round up at every stride, so the measured ratio differs from 2, but not by much.
    XCTAssertEqual(resolutionMACs / baseMACs, 2, accuracy: 0.25)
    let width = try search.configuration(for: ScalingGrid.singleDimensionControls(target: 2)[1])
    XCTAssertEqual(width.widthMultiplier, 0.5 * 2.0.squareRoot(), accuracy: 1e-12)
    let depth = try search.configuration(for: ScalingGrid.singleDimensionControls(target: 2)[0])
    XCTAssertEqual(depth.depthMultiplier, 2)
    XCTAssertGreaterThan(try depth.resolve().blocks.count, try base.resolve().blocks.count)
  }

  func testAFolderWithAnotherSearchIsRefused() throws {
    let directory = temporaryLocation("search-settings")
    let base = Configuration()
    _ = try ScalingSearch(baseline: base, candidates: [], directory: directory, settings: ["epochs": "1"])
    _ = try ScalingSearch(baseline: base, candidates: [], directory: directory, settings: ["epochs": "1"])
    XCTAssertThrowsError(
      try ScalingSearch(baseline: base, candidates: [], directory: directory, settings: ["epochs": "2"])
    ) {
      XCTAssertTrue(String(describing: $0).contains("epochs: 1 before, 2 now"), "\($0)")
    }
  }
}
