/// Small multiples: line charts side by side on one page (loss beside accuracy), each drawn at its own
/// size, with an optional heading over them all.
public struct ChartPanels: Chart, Sendable {
  /// The charts, left to right.
  public var charts: [LineChart]
  /// A heading over every panel (nil for none).
  public var title: String?

  /// The charts `charts` in a row.
  public init(_ charts: [LineChart], title: String? = nil) {
    self.charts = charts
    self.title = title
  }

  /// The SVG document: the panels in a row, as tall as the tallest.
  public func svg() -> String {
    let heading = title == nil ? 0.0 : 30.0
    let width = charts.reduce(0) { $0 + $1.width }
    let height = (charts.map(\.height).max() ?? 0) + heading
    var page = SVGCanvas(width: width, height: height)
    if let title {
      page.text(title, x: width / 2, y: 22, anchor: .middle, size: 16, bold: true, role: "heading")
    }
    var left = 0.0
    for (index, chart) in charts.enumerated() {
      page.place(chart.canvas(identifierPrefix: "panel\(index)-"), x: left, y: heading)
      left += chart.width
    }
    return page.document
  }
}
