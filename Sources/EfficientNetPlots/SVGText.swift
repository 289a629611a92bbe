import Foundation

/// Text and numbers as they go into an SVG document: escaped for XML, and coordinates written with a
/// fixed number of decimals (so identical charts give identical files).
public enum SVGText {
  /// `text` with the five characters XML reserves replaced by their entities, and the control
  /// characters XML 1.0 forbids even as entities replaced by U+FFFD, so any class name or title
  /// leaves the document well-formed.
  public static func escaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&apos;"
      case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
      case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
        result += "\u{FFFD}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  /// A coordinate or length with `decimals` digits after the point (two by default).
  public static func number(_ value: Double, decimals: Int = 2) -> String {
    String(format: "%.\(decimals)f", value)
  }

  /// About how wide `text` is drawn at `fontSize` in a sans-serif font (an average glyph is a little
  /// over half the font size wide), for laying labels out without measuring them.
  public static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
    Double(text.count) * fontSize * 0.6
  }

  /// `text` cut to at most `limit` characters, an ellipsis marking the cut.
  public static func shortened(_ text: String, limit: Int) -> String {
    guard text.count > limit, limit > 1 else { return text }
    return String(text.prefix(limit - 1)) + "…"
  }
}
