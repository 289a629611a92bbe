import Foundation

/// Draws a search as an SVG scatter plot: validation top-1 against MACs, one marker per candidate
/// (circles for compound scaling, a square, triangle and diamond for depth-, width- and
/// resolution-only), the chosen candidate ringed and named.
public enum SearchPlot {
  /// The SVG document.
  ///
  /// - Parameters:
  ///   - records: The finished candidates (any order); an empty list gives an empty frame.
  ///   - chosen: The label of the candidate to mark.
  ///   - title: The heading.
  public static func svg(records: [SearchRecord], chosen: String?, title: String) -> String {
    let (width, height) = (720.0, 480.0)
    let (left, right, top, bottom) = (70.0, 180.0, 40.0, 60.0)
    let plotWidth = width - left - right, plotHeight = height - top - bottom
    let macs = records.map { Double($0.macs) / 1e6 }
    let accuracies = records.map { $0.validationTop1 * 100 }
    let xRange = paddedRange(macs, minimumSpan: 1)
    let yRange = paddedRange(accuracies, minimumSpan: 1)
    func x(_ value: Double) -> Double { left + (value - xRange.lowerBound) / span(xRange) * plotWidth }
    func y(_ value: Double) -> Double { top + (yRange.upperBound - value) / span(yRange) * plotHeight }

    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(format(left))" y="24" font-size="15">\(escape(title))</text>
      <rect x="\(format(left))" y="\(format(top))" width="\(format(plotWidth))" height="\(format(plotHeight))" \
      fill="none" stroke="#444"/>

      """
    for tick in ticks(xRange) {
      let position = x(tick)
      svg += line(position, top + plotHeight, position, top + plotHeight + 5, stroke: "#444")
      svg += text(format(tick, decimals: 1), position, top + plotHeight + 18, anchor: "middle")
      svg += line(position, top, position, top + plotHeight, stroke: "#eee")
    }
    for tick in ticks(yRange) {
      let position = y(tick)
      svg += line(left - 5, position, left, position, stroke: "#444")
      svg += text(format(tick, decimals: 1), left - 8, position + 4, anchor: "end")
      svg += line(left, position, left + plotWidth, position, stroke: "#eee")
    }
    svg += text(
      "multiply-accumulates per image (millions)", left + plotWidth / 2, height - 18, anchor: "middle")
    svg +=
      "<text transform=\"translate(18 \(format(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
      + "validation top-1 (%)</text>\n"

    for (index, record) in records.enumerated() {
      let (px, py) = (x(macs[index]), y(accuracies[index]))
      svg += marker(kind: record.kind, px, py)
      if record.label == chosen {
        svg += "<circle cx=\"\(format(px))\" cy=\"\(format(py))\" r=\"9\" fill=\"none\" stroke=\"#d62728\" "
        svg += "stroke-width=\"2\"/>\n"
        svg += text("chosen " + record.label, px + 12, py - 10, fill: "#d62728")
      } else if record.kind != ScalingCandidate.Kind.compound.rawValue {
        svg += text(record.kind, px + 8, py + 4, fill: "#555")
      }
    }
    // Legend.
    let legendX = left + plotWidth + 20
    for (row, kind) in ScalingKinds.all.enumerated() {
      let legendY = top + 10 + Double(row) * 20
      svg += marker(kind: kind, legendX, legendY)
      svg += text(kind, legendX + 12, legendY + 4)
    }
    return svg + "</svg>\n"
  }

  private enum ScalingKinds {
    static let all = ["compound", "depth-only", "width-only", "resolution-only"]
  }

  private static func marker(kind: String, _ x: Double, _ y: Double) -> String {
    switch kind {
    case "depth-only":
      return
        "<rect x=\"\(format(x - 5))\" y=\"\(format(y - 5))\" width=\"10\" height=\"10\" fill=\"#ff7f0e\"/>\n"
    case "width-only":
      return "<polygon points=\"\(format(x)),\(format(y - 6)) \(format(x - 6)),\(format(y + 5)) "
        + "\(format(x + 6)),\(format(y + 5))\" fill=\"#2ca02c\"/>\n"
    case "resolution-only":
      return "<polygon points=\"\(format(x)),\(format(y - 6)) \(format(x + 6)),\(format(y)) \(format(x)),"
        + "\(format(y + 6)) \(format(x - 6)),\(format(y))\" fill=\"#9467bd\"/>\n"
    default:
      return "<circle cx=\"\(format(x))\" cy=\"\(format(y))\" r=\"5\" fill=\"#1f77b4\"/>\n"
    }
  }

  private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
    "<line x1=\"\(format(x1))\" y1=\"\(format(y1))\" x2=\"\(format(x2))\" y2=\"\(format(y2))\" "
      + "stroke=\"\(stroke)\"/>\n"
  }

  private static func text(
    _ content: String, _ x: Double, _ y: Double, anchor: String = "start", fill: String = "#000"
  ) -> String {
    "<text x=\"\(format(x))\" y=\"\(format(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">"
      + "\(escape(content))</text>\n"
  }

  /// The values' range widened by 8% each side (at least `minimumSpan` wide).
  static func paddedRange(_ values: [Double], minimumSpan: Double) -> ClosedRange<Double> {
    guard let low = values.min(), let high = values.max() else { return 0...minimumSpan }
    let spread = max(high - low, minimumSpan)
    let middle = (low + high) / 2
    return (middle - spread * 0.58)...(middle + spread * 0.58)
  }

  private static func span(_ range: ClosedRange<Double>) -> Double { range.upperBound - range.lowerBound }

  /// About five round tick values inside the range (steps of 1, 2 or 5 × 10ⁿ).
  static func ticks(_ range: ClosedRange<Double>) -> [Double] {
    let raw = (range.upperBound - range.lowerBound) / 5
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var values: [Double] = []
    var value = ceil(range.lowerBound / step) * step
    while value <= range.upperBound {
      values.append(value)
      value += step
    }
    return values
  }

  private static func format(_ value: Double, decimals: Int = 2) -> String {
    String(format: "%.\(decimals)f", value)
  }

  private static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
