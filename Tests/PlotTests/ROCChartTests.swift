import EfficientNetPlots
import EfficientNetTestSupport
import EfficientNetTraining
import XCTest

/// ROC curves: the points of a small case computed by hand, their area equal to ROCAnalysis's AUC,
/// and the chart drawing them where its axes say.
final class ROCChartTests: XCTestCase {
  // Scores from high to low: positive, positive, negative, positive, negative, negative.
  private let scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4]
  private let isPositive = [true, true, false, true, false, false]

  private func trapezoidArea(_ points: [ROCPoint]) -> Double {
    zip(points, points.dropFirst()).reduce(0) { area, pair in
      area + (pair.1.falsePositiveRate - pair.0.falsePositiveRate)
        * (pair.0.truePositiveRate + pair.1.truePositiveRate) / 2
    }
  }

  func testTheCurveOfASmallCaseIsTheHandComputedOne() throws {
    let curve = try XCTUnwrap(ROCAnalysis.curve(scores: scores, isPositive: isPositive))
    let third = 1.0 / 3
    let expected: [(Double, Double)] = [
      (0, 0), (0, third), (0, 2 * third), (third, 2 * third), (third, 1), (2 * third, 1), (1, 1),
    ]
    XCTAssertEqual(curve.count, expected.count)
    for (point, (falsePositive, truePositive)) in zip(curve, expected) {
      XCTAssertEqual(point.falsePositiveRate, falsePositive, accuracy: 1e-12)
      XCTAssertEqual(point.truePositiveRate, truePositive, accuracy: 1e-12)
    }
    // 8 of the 9 positive–negative pairs are ordered rightly.
    let area = try XCTUnwrap(ROCAnalysis.areaUnderCurve(scores: scores, isPositive: isPositive))
    XCTAssertEqual(area, 8.0 / 9, accuracy: 1e-12)
    XCTAssertEqual(trapezoidArea(curve), area, accuracy: 1e-12)
  }

  func testTiedScoresMakeOneDiagonalStep() throws {
    let curve = try XCTUnwrap(ROCAnalysis.curve(scores: [0.8, 0.8, 0.3], isPositive: [true, false, false]))
    XCTAssertEqual(
      curve,
      [
        ROCPoint(falsePositiveRate: 0, truePositiveRate: 0),
        ROCPoint(falsePositiveRate: 0.5, truePositiveRate: 1),
        ROCPoint(falsePositiveRate: 1, truePositiveRate: 1),
      ])
    XCTAssertEqual(
      ROCAnalysis.areaUnderCurve(scores: [0.8, 0.8, 0.3], isPositive: [true, false, false]), 0.75)
    XCTAssertNil(ROCAnalysis.curve(scores: [0.1, 0.2], isPositive: [true, true]))
  }

  func testTheChartDrawsTheCurveTheChanceLineAndTheArea() throws {
    let curve = try XCTUnwrap(ROCAnalysis.curve(scores: scores, isPositive: isPositive))
    let area = try XCTUnwrap(ROCAnalysis.areaUnderCurve(scores: scores, isPositive: isPositive))
    let chart = ROCChart(
      points: curve.map { ChartPoint(x: $0.falsePositiveRate, y: $0.truePositiveRate) }, areaUnderCurve: area,
      subject: "<sick> positive")
    let reading = try SVGReading(chart.svg())
    XCTAssertEqual(reading.elements(role: "title").first?.text, "ROC curve: <sick> positive (AUC 0.8889)")
    XCTAssertEqual(reading.elements(role: "legend").map(\.text), ["chance (AUC 0.5)", "ROC (AUC 0.8889)"])
    let x = try SVGAxisReading(reading, axis: "x"), y = try SVGAxisReading(reading, axis: "y")
    XCTAssertEqual(x.ticks.first?.value, 0)
    XCTAssertEqual(x.ticks.last?.value, 1)
    let lines = reading.elements(role: "series")
    XCTAssertEqual(lines[0].attributes["stroke-dasharray"] != nil, true, "the chance line is dashed")
    let drawn = lines[1].points
    XCTAssertEqual(drawn.count, curve.count)
    for (pixel, point) in zip(drawn, curve) {
      XCTAssertEqual(x.value(atPixel: pixel.x), point.falsePositiveRate, accuracy: 1e-4)
      XCTAssertEqual(y.value(atPixel: pixel.y), point.truePositiveRate, accuracy: 1e-4)
    }
  }
}
