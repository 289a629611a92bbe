import EfficientNetPlots
import Foundation

/// Draws a search as an SVG scatter plot: validation top-1 against MACs, one marker per candidate
/// (circles for compound scaling, a square, triangle and diamond for depth-, width- and
/// resolution-only), the chosen candidate ringed and named. The frame, ticks and text come from
/// EfficientNetPlots.
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
    let macs = records.map { Double($0.macs) / 1e6 }
    let accuracies = records.map { $0.validationTop1 * 100 }
    let xAxis = ChartAxis(
      title: "multiply-accumulates per image (millions)", range: paddedRange(macs, minimumSpan: 1))
    let yAxis = ChartAxis(title: "validation top-1 (%)", range: paddedRange(accuracies, minimumSpan: 1))
    let frame = PlotFrame(
      left: left, top: top, width: width - left - right, height: height - top - bottom, xAxis: xAxis,
      xRange: xAxis.range!, yAxis: yAxis, yRange: yAxis.range!)
    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: left, y: 24, size: 15, role: "title")
    frame.draw(on: &canvas, xAxis: xAxis, yAxis: yAxis)

    for (index, record) in records.enumerated() {
      let (x, y) = frame.pixel(ChartPoint(x: macs[index], y: accuracies[index]))
      marker(kind: record.kind, x, y, on: &canvas)
      if record.label == chosen {
        canvas.circle(
          x: x, y: y, radius: 9, fill: "none", stroke: .init(ChartColors.highlight, width: 2), role: "chosen")
        canvas.text(
          "chosen " + record.label, x: x + 12, y: y - 10, size: 12, color: ChartColors.highlight,
          role: "chosen-label")
      } else if record.kind != ScalingCandidate.Kind.compound.rawValue {
        // Beside the marker, on its left where the right would leave the frame (and meet the legend).
        let fitsRight = x + 8 + SVGText.estimatedWidth(record.kind, fontSize: 12) <= left + frame.width
        canvas.text(
          record.kind, x: fitsRight ? x + 8 : x - 8, y: y + 4, anchor: fitsRight ? .start : .end, size: 12,
          color: "#555")
      }
    }
    // Legend.
    let legendX = left + frame.width + 20
    for (row, kind) in ScalingKinds.all.enumerated() {
      let legendY = top + 10 + Double(row) * 20
      marker(kind: kind, legendX, legendY, on: &canvas)
      canvas.text(kind, x: legendX + 12, y: legendY + 4, size: 12, role: "legend")
    }
    return canvas.document
  }

  private enum ScalingKinds {
    static let all = ["compound", "depth-only", "width-only", "resolution-only"]
  }

  private static func marker(kind: String, _ x: Double, _ y: Double, on canvas: inout SVGCanvas) {
    switch kind {
    case "depth-only":
      canvas.rectangle(x: x - 5, y: y - 5, width: 10, height: 10, fill: ChartColors.series(1), role: "marker")
    case "width-only":
      canvas.polygon(
        [(x, y - 6), (x - 6, y + 5), (x + 6, y + 5)], fill: ChartColors.series(2), role: "marker")
    case "resolution-only":
      canvas.polygon(
        [(x, y - 6), (x + 6, y), (x, y + 6), (x - 6, y)], fill: ChartColors.series(4), role: "marker")
    default:
      canvas.circle(x: x, y: y, radius: 5, fill: ChartColors.series(0), role: "marker")
    }
  }

  /// The values' range widened by 8% each side (at least `minimumSpan` wide).
  static func paddedRange(_ values: [Double], minimumSpan: Double) -> ClosedRange<Double> {
    guard let low = values.min(), let high = values.max() else { return 0...minimumSpan }
    let spread = max(high - low, minimumSpan)
    let middle = (low + high) / 2
    return (middle - spread * 0.58)...(middle + spread * 0.58)
  }
}
