import Foundation

/// An SVG document built element by element: a white page of a given size in pixels, shapes and text
/// appended in drawing order, every attribute value escaped and every coordinate written the same way.
public struct SVGCanvas: Sendable {
  /// The page's width and height in pixels.
  public let width: Double, height: Double
  /// Put before every identifier this canvas defines, so canvases placed on one page never clash.
  public var identifierPrefix = ""
  private var body = ""
  private var clipCount = 0

  /// A blank white page of `width` × `height` pixels.
  public init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  /// How text is aligned on its anchor point.
  public enum TextAnchor: String, Sendable {
    /// The text starts at the point.
    case start
    /// The text is centred on the point.
    case middle
    /// The text ends at the point.
    case end
  }

  /// How a shape's outline is drawn.
  public struct Stroke: Sendable, Equatable {
    /// The colour (any SVG colour).
    public var color: String
    /// The line width in pixels.
    public var width: Double
    /// Whether the line is dashed.
    public var dashed: Bool

    /// A stroke of `color`, `width` pixels wide, solid unless `dashed`.
    public init(_ color: String, width: Double = 1, dashed: Bool = false) {
      self.color = color
      self.width = width
      self.dashed = dashed
    }

    var attributes: String {
      "stroke=\"\(SVGText.escaped(color))\" stroke-width=\"\(SVGText.number(width))\""
        + (dashed ? " stroke-dasharray=\"6 4\"" : "")
    }
  }

  private static func role(_ role: String?) -> String {
    role.map { " class=\"\(SVGText.escaped($0))\"" } ?? ""
  }

  private static func point(_ x: Double, _ y: Double) -> String {
    "\(SVGText.number(x)),\(SVGText.number(y))"
  }

  /// A straight line from `start` to `end`; `role` becomes its `class` attribute.
  public mutating func line(
    from start: (x: Double, y: Double), to end: (x: Double, y: Double), stroke: Stroke, role: String? = nil
  ) {
    body +=
      "<line\(Self.role(role)) x1=\"\(SVGText.number(start.x))\" y1=\"\(SVGText.number(start.y))\" "
      + "x2=\"\(SVGText.number(end.x))\" y2=\"\(SVGText.number(end.y))\" \(stroke.attributes)/>\n"
  }

  /// A rectangle with its top-left corner at (`x`, `y`), filled (`"none"` for an outline only).
  public mutating func rectangle(
    x: Double, y: Double, width: Double, height: Double, fill: String, stroke: Stroke? = nil,
    role: String? = nil, tooltip: String? = nil
  ) {
    body +=
      "<rect\(Self.role(role)) x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y))\" "
      + "width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\" "
      + "fill=\"\(SVGText.escaped(fill))\"" + (stroke.map { " " + $0.attributes } ?? "")
    body += tooltip.map { "><title>\(SVGText.escaped($0))</title></rect>\n" } ?? "/>\n"
  }

  /// A circle of `radius` centred on (`x`, `y`).
  public mutating func circle(
    x: Double, y: Double, radius: Double, fill: String, stroke: Stroke? = nil, role: String? = nil
  ) {
    body +=
      "<circle\(Self.role(role)) cx=\"\(SVGText.number(x))\" cy=\"\(SVGText.number(y))\" "
      + "r=\"\(SVGText.number(radius))\" fill=\"\(SVGText.escaped(fill))\""
      + (stroke.map { " " + $0.attributes } ?? "") + "/>\n"
  }

  /// A filled closed shape through `points`.
  public mutating func polygon(_ points: [(x: Double, y: Double)], fill: String, role: String? = nil) {
    body +=
      "<polygon\(Self.role(role)) points=\"\(points.map { Self.point($0.x, $0.y) }.joined(separator: " "))\" "
      + "fill=\"\(SVGText.escaped(fill))\"/>\n"
  }

  /// An open line through `points`, optionally clipped to a region made by ``clipRegion(x:y:width:height:)``;
  /// `name` goes into a `data-series` attribute so readers can tell the lines apart.
  public mutating func polyline(
    _ points: [(x: Double, y: Double)], stroke: Stroke, role: String? = nil, name: String? = nil,
    clip: String? = nil
  ) {
    body +=
      "<polyline\(Self.role(role))" + (name.map { " data-series=\"\(SVGText.escaped($0))\"" } ?? "")
      + (clip.map { " clip-path=\"url(#\($0))\"" } ?? "")
      + " points=\"\(points.map { Self.point($0.x, $0.y) }.joined(separator: " "))\" fill=\"none\" "
      + "stroke-linejoin=\"round\" \(stroke.attributes)/>\n"
  }

  /// Text at (`x`, `y`) (the baseline), escaped; `rotation` in degrees turns it about that point
  /// (-90 reads upwards).
  public mutating func text(
    _ content: String, x: Double, y: Double, anchor: TextAnchor = .start, size: Double = 12,
    color: String = "#222", bold: Bool = false, rotation: Double = 0, role: String? = nil
  ) {
    body +=
      "<text\(Self.role(role)) x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y))\" "
      + "text-anchor=\"\(anchor.rawValue)\" font-size=\"\(SVGText.number(size, decimals: 1))\" "
      + "fill=\"\(SVGText.escaped(color))\"" + (bold ? " font-weight=\"bold\"" : "")
      + (rotation != 0
        ? " transform=\"rotate(\(SVGText.number(rotation, decimals: 1)) \(SVGText.number(x)) \(SVGText.number(y)))\""
        : "")
      + ">\(SVGText.escaped(content))</text>\n"
  }

  /// Defines a rectangular clipping region and returns its identifier (for `clip:` arguments).
  public mutating func clipRegion(x: Double, y: Double, width: Double, height: Double) -> String {
    clipCount += 1
    let identifier = "\(identifierPrefix)clip\(clipCount)"
    body +=
      "<clipPath id=\"\(identifier)\"><rect x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(y))\" "
      + "width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\"/></clipPath>\n"
    return identifier
  }

  /// Draws `other` with its top-left corner at (`x`, `y`) of this page (for panels side by side).
  public mutating func place(_ other: SVGCanvas, x: Double, y: Double) {
    body += "<g transform=\"translate(\(SVGText.number(x)) \(SVGText.number(y)))\">\n" + other.body + "</g>\n"
  }

  /// The whole document.
  public var document: String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width.rounded(.up)))\" "
      + "height=\"\(Int(height.rounded(.up)))\" viewBox=\"0 0 \(SVGText.number(width)) \(SVGText.number(height))\" "
      + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n"
  }
}
