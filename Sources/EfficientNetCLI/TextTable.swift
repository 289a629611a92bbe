/// Plain-text tables for the terminal: the first column left-aligned, the rest right-aligned.
enum TextTable {
  /// `header` and `rows` laid out in columns two spaces apart.
  static func render(header: [String], rows: [[String]]) -> String {
    let widths = header.indices.map { column in
      max(header[column].count, rows.map { $0[column].count }.max() ?? 0)
    }
    func line(_ values: [String]) -> String {
      values.enumerated().map { column, value in
        column == 0
          ? value.padding(toLength: widths[column], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[column] - value.count) + value
      }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
  }

  /// An integer with thousands separators: `3,880,067`.
  static func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var result = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
      result.append(digit)
    }
    return result
  }
}
