import Foundation

/// A confusion matrix as a grid: rows are true classes, columns predicted ones; each cell is shaded by
/// its share of its row (the true class's samples) and shows its count and that share. Cells shrink
/// as classes grow; long names are shortened (the full name is in each cell's tooltip), and column
/// names that do not fit across a cell are turned upright.
public struct ConfusionMatrixChart: Chart, Sendable {
  /// The class names, in the order of the matrix's rows and columns.
  public var classNames: [String]
  /// `counts[true][predicted]`, a square of the classes' count.
  public var counts: [[Int]]
  /// The heading.
  public var title: String

  /// The longest name drawn in full.
  public static let nameLimit = 24

  /// A chart of `counts` (rows: true class, columns: predicted class) labelled with `classNames`.
  public init(classNames: [String], counts: [[Int]], title: String = "confusion matrix") {
    precondition(
      counts.count == classNames.count && counts.allSatisfy { $0.count == classNames.count },
      "the counts must be a square of the classes' count")
    self.classNames = classNames
    self.counts = counts
    self.title = title
  }

  /// The share of row `row`'s samples in each of its cells (all zero for an empty row).
  public func rowFractions(_ row: Int) -> [Double] {
    let total = counts[row].reduce(0, +)
    return counts[row].map { total > 0 ? Double($0) / Double(total) : 0 }
  }

  /// White for 0, deep blue for 1.
  static func shade(_ fraction: Double) -> String {
    let clamped = min(max(fraction, 0), 1)
    let (red, green, blue) = (8.0, 81.0, 156.0)
    func channel(_ full: Double) -> Int { Int((255 - (255 - full) * clamped).rounded()) }
    return String(format: "#%02X%02X%02X", channel(red), channel(green), channel(blue))
  }

  /// A share as a percentage label ("100%", "42.9%", "0%").
  static func percentage(_ fraction: Double) -> String {
    if fraction == 0 || fraction == 1 { return "\(Int(fraction * 100))%" }
    return String(format: "%.1f%%", fraction * 100)
  }

  /// The SVG document.
  public func svg() -> String {
    let classes = classNames.count
    let cell = min(max(560 / Double(max(classes, 1)), 30), 90)
    let labelSize = 11.0
    let names = classNames.map { SVGText.shortened($0, limit: Self.nameLimit) }
    let nameWidth = names.map { SVGText.estimatedWidth($0, fontSize: labelSize) }.max() ?? 0
    let upright = nameWidth > cell - 6
    let columnLabelHeight = upright ? nameWidth + 8 : labelSize + 8
    let top = 62.0
    let side = cell * Double(classes)
    let content = 24 + labelSize + nameWidth + 10 + side + 24
    let width = max(content, SVGText.estimatedWidth(title, fontSize: 15) + 40, 320)
    // The grid and its labels are centred under the title when the title is the wider.
    let margin = (width - content) / 2
    let left = margin + 24 + labelSize + nameWidth + 10
    let height = top + side + columnLabelHeight + 36
    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(title, x: width / 2, y: 24, anchor: .middle, size: 15, bold: true, role: "title")
    canvas.text(
      "each cell: count and share of its true class's samples (the shade)", x: width / 2, y: 42,
      anchor: .middle, size: 10.5, color: "#555")

    let countSize = min(14, cell * 0.3), shareSize = min(11, cell * 0.24)
    for row in 0..<classes {
      let fractions = rowFractions(row)
      for column in 0..<classes {
        let (x, y) = (left + Double(column) * cell, top + Double(row) * cell)
        let fraction = fractions[column]
        canvas.rectangle(
          x: x, y: y, width: cell, height: cell, fill: Self.shade(fraction), stroke: .init("#FFFFFF"),
          role: "cell",
          tooltip: "true \(classNames[row]), predicted \(classNames[column]): \(counts[row][column]) "
            + "(\(Self.percentage(fraction)) of \(classNames[row]))")
        let ink = fraction > 0.5 ? "#FFFFFF" : "#222222"
        canvas.text(
          String(counts[row][column]), x: x + cell / 2, y: y + cell / 2 - 1, anchor: .middle, size: countSize,
          color: ink, bold: row == column, role: "count")
        canvas.text(
          Self.percentage(fraction), x: x + cell / 2, y: y + cell / 2 + shareSize + 1, anchor: .middle,
          size: shareSize, color: ink, role: "share")
      }
      canvas.text(
        names[row], x: left - 8, y: top + (Double(row) + 0.5) * cell + labelSize * 0.35, anchor: .end,
        size: labelSize, role: "row-label")
    }
    canvas.rectangle(
      x: left, y: top, width: side, height: side, fill: "none", stroke: .init(ChartColors.frame),
      role: "frame")
    for column in 0..<classes {
      let centre = left + (Double(column) + 0.5) * cell
      if upright {
        canvas.text(
          names[column], x: centre + labelSize * 0.35, y: top + side + 6, anchor: .end, size: labelSize,
          rotation: -90, role: "column-label")
      } else {
        canvas.text(
          names[column], x: centre, y: top + side + 6 + labelSize, anchor: .middle, size: labelSize,
          role: "column-label")
      }
    }
    canvas.text(
      "predicted class", x: left + side / 2, y: top + side + columnLabelHeight + 18, anchor: .middle,
      size: 12,
      bold: true, role: "x-title")
    canvas.text(
      "true class", x: margin + 18, y: top + side / 2, anchor: .middle, size: 12, bold: true, rotation: -90,
      role: "y-title")
    return canvas.document
  }
}
