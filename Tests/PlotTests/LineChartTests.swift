import EfficientNetPlots
import EfficientNetTestSupport
import XCTest

/// Line charts read back from their SVG: data land where the drawn ticks say, on linear and
/// logarithmic axes; names are escaped; panels keep their charts apart.
final class LineChartTests: XCTestCase {
  private func chart(
    _ points: [ChartPoint], xScale: ChartAxis.Scale = .linear, name: String = "data",
    highlight: ChartHighlight? = nil
  ) -> LineChart {
    LineChart(
      title: "a chart", xAxis: ChartAxis(title: "x", scale: xScale), yAxis: ChartAxis(title: "y"),
      series: [ChartSeries(name: name, points: points, color: ChartColors.series(0))], highlight: highlight)
  }

  func testAPointLandsWhereTheTicksSayItShould() throws {
    let points = [ChartPoint(x: 0, y: 0), ChartPoint(x: 3, y: 7), ChartPoint(x: 10, y: 20)]
    let reading = try SVGReading(chart(points).svg())
    let x = try SVGAxisReading(reading, axis: "x"), y = try SVGAxisReading(reading, axis: "y")
    // The ticks: nice numbers, covering the data.
    XCTAssertEqual(x.ticks.map(\.value), [0, 2, 4, 6, 8, 10])
    XCTAssertEqual(y.ticks.map(\.value), [0, 5, 10, 15, 20])
    let line = try XCTUnwrap(reading.elements(role: "series").first)
    XCTAssertEqual(line.attributes["data-series"], "data")
    XCTAssertEqual(line.points.count, 3)
    for (drawn, point) in zip(line.points, points) {
      XCTAssertEqual(drawn.x, x.pixel(of: point.x), accuracy: 0.01)
      XCTAssertEqual(drawn.y, y.pixel(of: point.y), accuracy: 0.01)
    }
    // y grows upwards, x rightwards.
    XCTAssertLessThan(line.points[2].y, line.points[0].y)
    XCTAssertGreaterThan(line.points[2].x, line.points[0].x)
    // Every point has its marker, at the same place.
    let markers = reading.elements(role: "marker")
    XCTAssertEqual(markers.map { $0.number("cx")! }, line.points.map(\.x))
  }

  func testOnALogarithmicAxisOneThousandthIsHalfwayBetweenTheirNeighbours() throws {
    let points = [ChartPoint(x: 1e-4, y: 1), ChartPoint(x: 1e-3, y: 2), ChartPoint(x: 1e-2, y: 3)]
    let reading = try SVGReading(chart(points, xScale: .logarithmic).svg())
    let line = try XCTUnwrap(reading.elements(role: "series").first).points
    XCTAssertEqual(line[1].x, (line[0].x + line[2].x) / 2, accuracy: 0.01)
    let x = try SVGAxisReading(reading, axis: "x", logarithmic: true)
    XCTAssertEqual(x.ticks.map(\.value), [1e-4, 1e-3, 1e-2])
    for (drawn, point) in zip(line, points) {
      XCTAssertEqual(drawn.x, x.pixel(of: point.x), accuracy: 0.01)
    }
  }

  func testNamesAreEscapedAndTheHighlightSitsOnItsPoint() throws {
    let points = [ChartPoint(x: 1, y: 1), ChartPoint(x: 2, y: 4)]
    let svg = chart(
      points, name: "<a&b>", highlight: ChartHighlight(point: ChartPoint(x: 2, y: 4), label: "best \"one\"")
    ).svg()
    let reading = try SVGReading(svg)
    XCTAssertEqual(reading.elements(role: "legend").map(\.text), ["<a&b>"])
    XCTAssertEqual(reading.elements(role: "series").first?.attributes["data-series"], "<a&b>")
    XCTAssertEqual(reading.elements(role: "highlight-label").first?.text, "best \"one\"")
    let ring = try XCTUnwrap(reading.elements(role: "highlight").first)
    let last = try XCTUnwrap(reading.elements(role: "series").first?.points.last)
    XCTAssertEqual(ring.number("cx")!, last.x, accuracy: 0.01)
    XCTAssertEqual(ring.number("cy")!, last.y, accuracy: 0.01)
  }

  func testPanelsDrawEachChartInItsOwnGroup() throws {
    let first = chart([ChartPoint(x: 1, y: 1), ChartPoint(x: 2, y: 2)])
    let second = chart([ChartPoint(x: 1, y: 10), ChartPoint(x: 2, y: 30)])
    let svg = ChartPanels([first, second], title: "both").svg()
    let reading = try SVGReading(svg)
    let root = try XCTUnwrap(reading.elements.first)
    XCTAssertEqual(root.number("width"), first.width + second.width)
    let lines = reading.elements(role: "series")
    XCTAssertEqual(lines.map(\.group), [0, 1])
    // Each panel's own ticks place its own data.
    let y = try SVGAxisReading(reading, axis: "y", group: 1)
    XCTAssertEqual(lines[1].points[1].y, y.pixel(of: 30), accuracy: 0.01)
    // Clip regions are not shared between the panels.
    let clips = reading.elements.filter { $0.name == "clipPath" }.compactMap { $0.attributes["id"] }
    XCTAssertEqual(Set(clips).count, 2)
  }
}
