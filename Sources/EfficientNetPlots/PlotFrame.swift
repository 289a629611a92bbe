import Foundation

/// The part of a chart that every x–y chart shares: the frame, the ticks and their labels, grid
/// lines and the axis titles, drawn on a canvas around a plot area, and the mappings from data to
/// the area's pixels.
public struct PlotFrame: Sendable {
  /// The plot area's left and top edges, width and height, in pixels.
  public let left: Double, top: Double, width: Double, height: Double
  /// The horizontal and vertical mappings of the area.
  public let x: AxisMapping, y: AxisMapping

  /// The plot area placed at (`left`, `top`), `width` × `height`, showing `xRange` on `xAxis` and
  /// `yRange` on `yAxis`.
  public init(
    left: Double, top: Double, width: Double, height: Double, xAxis: ChartAxis, xRange: ClosedRange<Double>,
    yAxis: ChartAxis, yRange: ClosedRange<Double>
  ) {
    self.left = left
    self.top = top
    self.width = width
    self.height = height
    x = AxisMapping(range: xRange, scale: xAxis.scale, start: left, end: left + width)
    y = AxisMapping(range: yRange, scale: yAxis.scale, start: top + height, end: top)
  }

  /// The pixel of a data point.
  public func pixel(_ point: ChartPoint) -> (x: Double, y: Double) { (x.pixel(point.x), y.pixel(point.y)) }

  /// The widest tick label `yAxis` would get over `range`, in pixels (for the left margin).
  public static func labelWidth(of axis: ChartAxis, range: ClosedRange<Double>, fontSize: Double) -> Double {
    axis.ticks(in: range).map { SVGText.estimatedWidth($0.label, fontSize: fontSize) }.max() ?? 0
  }

  /// Draws grid lines, the frame, tick marks (classes `x-tick-mark` and `y-tick-mark`) with labels
  /// (`x-tick` and `y-tick`, in the same order), and the axis
  /// titles (`x-title` below the tick labels, `y-title` turned upright left of them).
  public func draw(on canvas: inout SVGCanvas, xAxis: ChartAxis, yAxis: ChartAxis, fontSize: Double = 11) {
    let bottom = top + height
    let xTicks = xAxis.ticks(in: x.range), yTicks = yAxis.ticks(in: y.range)
    for tick in xTicks {
      let position = x.pixel(tick.value)
      canvas.line(
        from: (position, top), to: (position, bottom), stroke: .init(ChartColors.grid), role: "grid")
    }
    for tick in yTicks {
      let position = y.pixel(tick.value)
      canvas.line(
        from: (left, position), to: (left + width, position), stroke: .init(ChartColors.grid), role: "grid")
    }
    canvas.rectangle(
      x: left, y: top, width: width, height: height, fill: "none", stroke: .init(ChartColors.frame),
      role: "frame")
    for tick in xTicks {
      let position = x.pixel(tick.value)
      canvas.line(
        from: (position, bottom), to: (position, bottom + 5), stroke: .init(ChartColors.frame),
        role: "x-tick-mark")
      canvas.text(
        tick.label, x: position, y: bottom + 7 + fontSize, anchor: .middle, size: fontSize, role: "x-tick")
    }
    var widest = 0.0
    for tick in yTicks {
      let position = y.pixel(tick.value)
      canvas.line(
        from: (left - 5, position), to: (left, position), stroke: .init(ChartColors.frame),
        role: "y-tick-mark")
      canvas.text(
        tick.label, x: left - 8, y: position + fontSize * 0.35, anchor: .end, size: fontSize, role: "y-tick")
      widest = max(widest, SVGText.estimatedWidth(tick.label, fontSize: fontSize))
    }
    canvas.text(
      xAxis.title, x: left + width / 2, y: bottom + 14 + 2 * fontSize, anchor: .middle, size: fontSize + 1,
      role: "x-title")
    canvas.text(
      yAxis.title, x: left - 14 - widest, y: top + height / 2, anchor: .middle, size: fontSize + 1,
      rotation: -90, role: "y-title")
  }

  /// The space a frame needs outside its plot area: below it for tick labels and the x title, left
  /// of it for tick labels of `labelWidth` and the y title.
  public static func margins(labelWidth: Double, fontSize: Double = 11) -> (left: Double, bottom: Double) {
    (labelWidth + 22 + fontSize, 20 + 2 * fontSize)
  }
}
