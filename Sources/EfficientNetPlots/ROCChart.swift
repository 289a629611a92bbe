import Foundation

/// A receiver operating characteristic curve: true-positive rate against false-positive rate over
/// every threshold, the chance diagonal dashed, and the area under the curve in the title and legend.
public struct ROCChart: Chart, Sendable {
  /// The curve's points (false-positive rate, true-positive rate), from (0, 0) to (1, 1).
  public var points: [ChartPoint]
  /// The area under the curve.
  public var areaUnderCurve: Double
  /// What the curve is of (for example the positive class), put in the title.
  public var subject: String

  /// The curve through `points` whose area is `areaUnderCurve`.
  public init(points: [ChartPoint], areaUnderCurve: Double, subject: String) {
    self.points = points
    self.areaUnderCurve = areaUnderCurve
    self.subject = subject
  }

  /// The chart as a square ``LineChart`` with both axes fixed to [0, 1] (and a little beyond, so a
  /// perfect curve along the edges is not hidden by the frame).
  public var lineChart: LineChart {
    let area = String(format: "%.4f", areaUnderCurve)
    let range = -0.02...1.02
    return LineChart(
      title: "ROC curve: \(subject) (AUC \(area))",
      xAxis: ChartAxis(title: "false positive rate (1 − specificity)", range: range, tickCount: 6),
      yAxis: ChartAxis(title: "true positive rate (sensitivity)", range: range, tickCount: 6),
      series: [
        ChartSeries(
          name: "chance (AUC 0.5)", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1)],
          color: ChartColors.muted, dashed: true, lineWidth: 1.5, showsMarkers: false),
        ChartSeries(
          name: "ROC (AUC \(area))", points: points, color: ChartColors.series(0), showsMarkers: false),
      ], width: 520, height: 540)
  }

  /// The SVG document.
  public func svg() -> String { lineChart.svg() }
}
