/// A legend: one sample line and name per series, flowing left to right in rows under a chart.
struct ChartLegend {
  /// The names, colours and dash patterns shown.
  let entries: [(name: String, color: String, dashed: Bool)]
  let fontSize = 11.0
  let rowHeight = 18.0
  let sampleLength = 24.0

  private func entryWidth(_ name: String) -> Double {
    sampleLength + 6 + SVGText.estimatedWidth(name, fontSize: fontSize) + 18
  }

  /// Each entry's row and its offset within the row, for a legend at most `width` pixels wide.
  private func layout(width: Double) -> [(row: Int, offset: Double)] {
    var placements: [(row: Int, offset: Double)] = []
    var (row, offset) = (0, 0.0)
    for entry in entries {
      let needed = entryWidth(entry.name)
      if offset > 0 && offset + needed > width { (row, offset) = (row + 1, 0) }
      placements.append((row, offset))
      offset += needed
    }
    return placements
  }

  /// The height the legend takes at `width` (nothing without entries).
  func height(width: Double) -> Double {
    guard let last = layout(width: width).last else { return 0 }
    return Double(last.row + 1) * rowHeight
  }

  /// Draws the legend with its first row's top at `top`, rows starting at `left` (class `legend`).
  func draw(on canvas: inout SVGCanvas, left: Double, top: Double, width: Double) {
    for (entry, place) in zip(entries, layout(width: width)) {
      let x = left + place.offset
      let y = top + Double(place.row) * rowHeight + rowHeight / 2
      canvas.line(
        from: (x, y), to: (x + sampleLength, y), stroke: .init(entry.color, width: 2.5, dashed: entry.dashed))
      canvas.text(
        entry.name, x: x + sampleLength + 6, y: y + fontSize * 0.35, size: fontSize, role: "legend")
    }
  }
}
