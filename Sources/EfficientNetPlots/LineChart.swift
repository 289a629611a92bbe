import Foundation

/// Lines through points on an x–y chart: a title above, a legend below, linear or logarithmic axes,
/// and optionally one highlighted point.
///
/// ```swift
/// let chart = LineChart(
///   title: "loss", xAxis: ChartAxis(title: "epoch", wholeNumbers: true), yAxis: ChartAxis(title: "loss"),
///   series: [ChartSeries(name: "training", points: points, color: ChartColors.series(0))])
/// try chart.write(to: url)
/// ```
public struct LineChart: Chart, Sendable {
  /// The heading.
  public var title: String
  /// The horizontal and vertical axes.
  public var xAxis: ChartAxis, yAxis: ChartAxis
  /// The lines, drawn in order (later ones on top).
  public var series: [ChartSeries]
  /// A marked point, drawn last.
  public var highlight: ChartHighlight?
  /// The page size in pixels.
  public var width: Double, height: Double

  /// A chart of `series` on `xAxis` and `yAxis`.
  public init(
    title: String, xAxis: ChartAxis, yAxis: ChartAxis, series: [ChartSeries],
    highlight: ChartHighlight? = nil,
    width: Double = 640, height: Double = 420
  ) {
    self.title = title
    self.xAxis = xAxis
    self.yAxis = yAxis
    self.series = series
    self.highlight = highlight
    self.width = width
    self.height = height
  }

  private static func drawable(_ point: ChartPoint, _ xAxis: ChartAxis, _ yAxis: ChartAxis) -> Bool {
    point.x.isFinite && point.y.isFinite && (xAxis.scale == .linear || point.x > 0)
      && (yAxis.scale == .linear || point.y > 0)
  }

  /// The chart drawn on its own canvas (its identifiers prefixed with `identifierPrefix`).
  public func canvas(identifierPrefix: String = "") -> SVGCanvas {
    var canvas = SVGCanvas(width: width, height: height)
    canvas.identifierPrefix = identifierPrefix
    let fontSize = 11.0
    let points = series.map { $0.points.filter { Self.drawable($0, xAxis, yAxis) } }
    let all = points.flatMap { $0 } + (highlight.map { [$0.point] } ?? [])
    let xRange = xAxis.resolvedRange(for: all.map(\.x))
    let yRange = yAxis.resolvedRange(for: all.map(\.y))
    let margins = PlotFrame.margins(
      labelWidth: PlotFrame.labelWidth(of: yAxis, range: yRange, fontSize: fontSize), fontSize: fontSize)
    let legend = ChartLegend(entries: series.map { ($0.name, $0.color, $0.dashed) })
    let (top, right) = (40.0, 24.0)
    let plotWidth = max(40, width - margins.left - right)
    let legendHeight = legend.height(width: plotWidth)
    let plotHeight = max(40, height - top - margins.bottom - legendHeight - 12)
    let frame = PlotFrame(
      left: margins.left, top: top, width: plotWidth, height: plotHeight, xAxis: xAxis, xRange: xRange,
      yAxis: yAxis, yRange: yRange)
    canvas.text(title, x: width / 2, y: 24, anchor: .middle, size: 15, bold: true, role: "title")
    frame.draw(on: &canvas, xAxis: xAxis, yAxis: yAxis, fontSize: fontSize)
    let clip = canvas.clipRegion(x: frame.left, y: frame.top, width: frame.width, height: frame.height)
    for (line, linePoints) in zip(series, points) {
      let pixels = linePoints.map(frame.pixel)
      canvas.polyline(
        pixels, stroke: .init(line.color, width: line.lineWidth, dashed: line.dashed), role: "series",
        name: line.name, clip: clip)
      if line.drawsMarkers {
        for pixel in pixels where frame.contains(pixel) {
          canvas.circle(
            x: pixel.x, y: pixel.y, radius: line.lineWidth + 1.5, fill: line.color, role: "marker")
        }
      }
    }
    if let highlight { draw(highlight, in: frame, on: &canvas, fontSize: fontSize) }
    legend.draw(
      on: &canvas, left: frame.left, top: frame.top + frame.height + margins.bottom + 4, width: plotWidth)
    return canvas
  }

  private func draw(
    _ highlight: ChartHighlight, in frame: PlotFrame, on canvas: inout SVGCanvas, fontSize: Double
  ) {
    let pixel = frame.pixel(highlight.point)
    let bottom = frame.top + frame.height
    canvas.line(
      from: (pixel.x, frame.top), to: (pixel.x, bottom), stroke: .init(highlight.color, dashed: true),
      role: "highlight-line")
    canvas.circle(
      x: pixel.x, y: pixel.y, radius: 6, fill: "none", stroke: .init(highlight.color, width: 2.5),
      role: "highlight")
    // The label sits beside the mark, on the side with more room, and inside the frame.
    let labelWidth = SVGText.estimatedWidth(highlight.label, fontSize: fontSize + 1)
    let onRight = pixel.x + 10 + labelWidth <= frame.left + frame.width
    let labelY = min(max(pixel.y - 10, frame.top + fontSize + 4), bottom - 6)
    canvas.text(
      highlight.label, x: onRight ? pixel.x + 10 : pixel.x - 10, y: labelY, anchor: onRight ? .start : .end,
      size: fontSize + 1, color: highlight.color, bold: true, role: "highlight-label")
  }

  /// The SVG document.
  public func svg() -> String { canvas().document }
}

extension PlotFrame {
  /// Whether `pixel` lies inside the plot area (its edges included).
  func contains(_ pixel: (x: Double, y: Double)) -> Bool {
    let tolerance = 0.5
    return pixel.x >= left - tolerance && pixel.x <= left + width + tolerance && pixel.y >= top - tolerance
      && pixel.y <= top + height + tolerance
  }
}
