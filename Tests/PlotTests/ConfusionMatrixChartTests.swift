import EfficientNetPlots
import EfficientNetTestSupport
import XCTest

/// The confusion matrix read back: each cell's text is its count and its share of the true class,
/// its shade follows the share, and many classes with long or hostile names stay on the page.
final class ConfusionMatrixChartTests: XCTestCase {
  func testCellsShowTheirCountsAndRowShares() throws {
    let counts = [[5, 1, 0], [2, 6, 2], [0, 0, 0]]
    let chart = ConfusionMatrixChart(classNames: ["cat", "<a&b>", "empty"], counts: counts)
    let reading = try SVGReading(chart.svg())
    XCTAssertEqual(reading.elements(role: "count").map(\.text), counts.flatMap { $0 }.map(String.init))
    XCTAssertEqual(
      reading.elements(role: "share").map(\.text),
      ["83.3%", "16.7%", "0%", "20.0%", "60.0%", "20.0%", "0%", "0%", "0%"])
    XCTAssertEqual(reading.elements(role: "row-label").map(\.text), ["cat", "<a&b>", "empty"])
    XCTAssertEqual(reading.elements(role: "column-label").map(\.text), ["cat", "<a&b>", "empty"])
    XCTAssertEqual(reading.elements(role: "x-title").first?.text, "predicted class")
    XCTAssertEqual(reading.elements(role: "y-title").first?.text, "true class")
    // Darker is more: the 5 of 6 cell is darker than the 1 of 6 cell, an empty one white.
    let fills = reading.elements(role: "cell").map { $0.attributes["fill"]! }
    func brightness(_ hex: String) -> Int { Int(hex.dropFirst().prefix(2), radix: 16)! }
    XCTAssertLessThan(brightness(fills[0]), brightness(fills[1]))
    XCTAssertEqual(fills[2], "#FFFFFF")
    XCTAssertEqual(chart.rowFractions(1), [0.2, 0.6, 0.2])
  }

  func testTenClassesWithLongNamesStayOnThePage() throws {
    let names = (0..<10).map { "class number \($0) with a rather long name" }
    let counts = (0..<10).map { row in
      (0..<10).map { column in row == column ? 90 + row : (row + column) % 3 }
    }
    let svg = ConfusionMatrixChart(classNames: names, counts: counts).svg()
    let reading = try SVGReading(svg)
    let page = try XCTUnwrap(reading.elements.first)
    let (width, height) = (page.number("width")!, page.number("height")!)
    XCTAssertEqual(reading.elements(role: "count").count, 100)
    XCTAssertEqual(reading.elements(role: "count").map(\.text), counts.flatMap { $0 }.map(String.init))
    let rows = reading.elements(role: "row-label")
    XCTAssertTrue(
      rows.allSatisfy { $0.text.count <= ConfusionMatrixChart.nameLimit && $0.text.hasSuffix("…") })
    // Row labels end left of the grid and start on the page.
    for label in rows {
      XCTAssertGreaterThan(label.number("x")! - SVGText.estimatedWidth(label.text, fontSize: 11), 0)
    }
    // Column labels too long to fit across a cell are upright, and end above the page's bottom.
    let columns = reading.elements(role: "column-label")
    XCTAssertTrue(columns.allSatisfy { $0.attributes["transform"]?.hasPrefix("rotate(-90") == true })
    for label in columns {
      XCTAssertLessThan(label.number("y")! + SVGText.estimatedWidth(label.text, fontSize: 11), height)
    }
    let cells = reading.elements(role: "cell")
    XCTAssertTrue(cells.allSatisfy { $0.number("x")! + $0.number("width")! < width })
    // The full name is in each cell's tooltip.
    XCTAssertTrue(svg.contains("<title>true \(names[3]), predicted \(names[4]): 1 "))
  }
}
