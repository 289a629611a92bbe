import Foundation
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// One element of an SVG document as a reader sees it: its name, attributes, text, and the panel
/// (`<g>` group, counted from 0 in document order) it is drawn in.
public struct SVGElement {
  /// The tag, such as `polyline` or `text`.
  public let name: String
  /// The attributes, unescaped.
  public let attributes: [String: String]
  /// The text inside it, unescaped.
  public var text = ""
  /// The index of the innermost `<g>` it is in (nil outside every group).
  public let group: Int?

  /// The `class` attribute.
  public var role: String? { attributes["class"] }

  /// A numeric attribute.
  public func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }

  /// The `points` of a polyline or polygon.
  public var points: [(x: Double, y: Double)] {
    (attributes["points"] ?? "").split(separator: " ").compactMap { pair in
      let parts = pair.split(separator: ",").compactMap { Double($0) }
      return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
  }
}

/// Parses SVG text back into its elements with Foundation's XML parser: a document that is not
/// well-formed XML fails the parse.
public final class SVGReading: NSObject, XMLParserDelegate {
  /// The elements in document order.
  public private(set) var elements: [SVGElement] = []
  private var open: [Int] = []
  private var groups: [Int] = []
  private var groupCount = 0

  /// Parses `svg`; throws (naming the parser's error) when it is not well-formed.
  public init(_ svg: String) throws {
    super.init()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = self
    guard parser.parse() else {
      throw SVGReadingError(description: "not well-formed XML: \(String(describing: parser.parserError))")
    }
  }

  /// Reads the file at `url`.
  public convenience init(contentsOf url: URL) throws {
    try self.init(try String(contentsOf: url, encoding: .utf8))
  }

  /// The elements whose `class` is `role`.
  public func elements(role: String) -> [SVGElement] { elements.filter { $0.role == role } }

  /// Records an element (and a group's index) as it opens.
  public func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    if elementName == "g" {
      groups.append(groupCount)
      groupCount += 1
    }
    open.append(elements.count)
    elements.append(SVGElement(name: elementName, attributes: attributes, group: groups.last))
  }

  /// Adds text to the innermost open element.
  public func parser(_ parser: XMLParser, foundCharacters string: String) {
    if let index = open.last { elements[index].text += string }
  }

  /// Closes the innermost element (and group).
  public func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
  ) {
    open.removeLast()
    if elementName == "g" { groups.removeLast() }
  }
}

/// Why an SVG document could not be read.
public struct SVGReadingError: Error, CustomStringConvertible {
  /// The parser's complaint.
  public let description: String
}

/// An axis read off a drawn chart: its tick labels' values at their tick marks' pixels, so data can be
/// placed where a reader of the picture would place it.
public struct SVGAxisReading {
  /// Each tick's value and pixel.
  public let ticks: [(value: Double, pixel: Double)]
  /// Whether values are spaced by their logarithms.
  public let logarithmic: Bool

  /// The `axis` ("x" or "y") of the elements in `group`, read from its `x-tick`/`y-tick` labels and
  /// `x-tick-mark`/`y-tick-mark` lines.
  public init(_ reading: SVGReading, axis: String, group: Int? = nil, logarithmic: Bool = false) throws {
    let labels = reading.elements(role: "\(axis)-tick").filter { $0.group == group }
    let marks = reading.elements(role: "\(axis)-tick-mark").filter { $0.group == group }
    guard labels.count == marks.count, labels.count >= 2 else {
      throw SVGReadingError(description: "\(labels.count) \(axis) tick labels for \(marks.count) marks")
    }
    ticks = try zip(labels, marks).map { label, mark in
      guard let value = Double(label.text), let pixel = mark.number(axis == "x" ? "x1" : "y1") else {
        throw SVGReadingError(description: "tick '\(label.text)' is not a number")
      }
      return (value, pixel)
    }
    self.logarithmic = logarithmic
  }

  private func scaled(_ value: Double) -> Double { logarithmic ? log10(value) : value }

  /// The value drawn at `pixel`, interpolated between the first and last ticks.
  public func value(atPixel pixel: Double) -> Double {
    let (first, last) = (ticks.first!, ticks.last!)
    let fraction = (pixel - first.pixel) / (last.pixel - first.pixel)
    let scaledValue = scaled(first.value) + fraction * (scaled(last.value) - scaled(first.value))
    return logarithmic ? pow(10, scaledValue) : scaledValue
  }

  /// The pixel where `value` is drawn.
  public func pixel(of value: Double) -> Double {
    let (first, last) = (ticks.first!, ticks.last!)
    let fraction = (scaled(value) - scaled(first.value)) / (scaled(last.value) - scaled(first.value))
    return first.pixel + fraction * (last.pixel - first.pixel)
  }

  /// How many data units one pixel is near `value` (for tolerances).
  public func unitsPerPixel(near value: Double) -> Double {
    abs(self.value(atPixel: pixel(of: value) + 1) - value)
  }
}
