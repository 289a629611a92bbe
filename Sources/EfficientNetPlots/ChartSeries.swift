/// A point of a chart, in data units.
public struct ChartPoint: Sendable, Equatable {
  /// The horizontal and vertical values.
  public var x: Double, y: Double

  /// The point (`x`, `y`).
  public init(x: Double, y: Double) {
    self.x = x
    self.y = y
  }
}

/// One line of a ``LineChart``: named in the legend, drawn through its points in order.
public struct ChartSeries: Sendable, Equatable {
  /// The legend's name for the line.
  public var name: String
  /// The points, in drawing order (non-finite ones are left out).
  public var points: [ChartPoint]
  /// The line's colour (any SVG colour; see ``ChartColors``).
  public var color: String
  /// Whether the line is dashed.
  public var dashed: Bool
  /// The line's width in pixels.
  public var lineWidth: Double
  /// Whether each point gets a dot (nil: when there are few enough points to tell apart, 40 at most).
  public var showsMarkers: Bool?

  /// A series named `name` through `points`.
  public init(
    name: String, points: [ChartPoint], color: String, dashed: Bool = false, lineWidth: Double = 2,
    showsMarkers: Bool? = nil
  ) {
    self.name = name
    self.points = points
    self.color = color
    self.dashed = dashed
    self.lineWidth = lineWidth
    self.showsMarkers = showsMarkers
  }

  /// Whether the dots are drawn.
  var drawsMarkers: Bool { showsMarkers ?? (points.count <= 40) }
}

/// A marked point with a label, such as a suggested learning rate.
public struct ChartHighlight: Sendable, Equatable {
  /// Where the mark is, in data units.
  public var point: ChartPoint
  /// The text beside it.
  public var label: String
  /// The mark's colour.
  public var color: String

  /// A mark at `point` labelled `label`.
  public init(point: ChartPoint, label: String, color: String = ChartColors.highlight) {
    self.point = point
    self.label = label
    self.color = color
  }
}

/// The colours the charts use: a palette that stays distinguishable for colour-blind readers
/// (Okabe and Ito's), and the greys of frames and grids.
public enum ChartColors {
  /// Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
  public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
  /// The `index`th colour of ``palette`` (cycling).
  public static func series(_ index: Int) -> String { palette[index % palette.count] }
  /// A mark that must stand out.
  public static let highlight = "#D62728"
  /// Lines of reference (a chance diagonal) and de-emphasised data.
  public static let muted = "#999999"
  /// The plot frame and ticks.
  public static let frame = "#444444"
  /// Grid lines.
  public static let grid = "#E6E6E6"
}
