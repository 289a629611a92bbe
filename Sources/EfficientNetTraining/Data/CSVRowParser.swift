/// A streaming parser of `p0,…,pK-1,label` rows, fed the file in chunks of any size.
///
/// Values are whole numbers (`12`, or `12.0` with only zeros after the point); spaces, tabs and a
/// carriage return before the newline are ignored, as are blank lines.
struct CSVRowParser {
  let path: String
  /// The largest pixel value allowed; 255 when the caller infers the maximum.
  let pixelLimit: Int

  /// The values per row (pixels and label), set by the first row.
  private(set) var valuesPerRow: Int?
  /// Every row's pixels, unscaled.
  private(set) var pixels: [UInt8] = []
  private(set) var labels: [Int] = []
  private(set) var lineNumbers: [Int] = []
  private(set) var largestPixel = 0
  /// The line now being read (1-based).
  private(set) var line = 1

  /// The last line read completely (for messages about data after it).
  var lastCompleteLine: Int { line - 1 }
  /// The number of rows read.
  var rowCount: Int { labels.count }

  private var skippingLine: Bool
  private var row: [Int] = []
  private var value = 0
  private var digits = 0
  private var inFraction = false

  /// The largest value kept exactly; longer numbers are reported as too large.
  private static let valueCeiling = 1_000_000_000

  init(path: String, pixelMaximum: Int?, skipsFirstLine: Bool) {
    self.path = path
    self.pixelLimit = pixelMaximum ?? 255
    self.skippingLine = skipsFirstLine
  }

  /// Parses the next bytes of the file.
  mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
    for byte in bytes {
      if skippingLine {
        if byte == UInt8(ascii: "\n") {
          skippingLine = false
          line += 1
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        if inFraction {
          if byte != UInt8(ascii: "0") {
            throw malformed("value in column \(row.count + 1) is not a whole number")
          }
        } else {
          value = min(value &* 10 &+ Int(byte &- UInt8(ascii: "0")), Self.valueCeiling)
          digits += 1
        }
      case UInt8(ascii: "."):
        if inFraction || digits == 0 {
          throw malformed("value in column \(row.count + 1) is not a whole number")
        }
        inFraction = true
      case UInt8(ascii: ","):
        try endField()
      case UInt8(ascii: "\n"):
        try endRow()
        line += 1
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
        continue
      default:
        let shown = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
        throw malformed("unexpected \(shown) in column \(row.count + 1) (expected a whole number 0–255)")
      }
    }
  }

  /// Ends the input: a last row without a newline counts.
  mutating func finish() throws {
    if !skippingLine { try endRow() }
  }

  private mutating func endField() throws {
    guard digits > 0 else { throw malformed("column \(row.count + 1) is empty") }
    row.append(value)
    value = 0
    digits = 0
    inFraction = false
  }

  private mutating func endRow() throws {
    if row.isEmpty && digits == 0 { return }  // a blank line
    try endField()
    let expected = valuesPerRow ?? row.count
    guard row.count == expected else {
      throw malformed(
        "row has \(row.count) values, expected \(expected) (\(expected - 1) pixels and the label)")
    }
    guard expected >= 2 else { throw malformed("row has 1 value, expected pixels and then the label") }
    valuesPerRow = expected
    for column in 0..<(expected - 1) where row[column] > pixelLimit {
      let value = row[column] >= Self.valueCeiling ? "\(Self.valueCeiling) or more" : "\(row[column])"
      throw malformed("pixel value \(value) in column \(column + 1) exceeds the maximum \(pixelLimit)")
    }
    let label = row[expected - 1]
    guard label < Self.valueCeiling else { throw malformed("label in column \(expected) is too large") }
    for column in 0..<(expected - 1) {
      largestPixel = max(largestPixel, row[column])
      pixels.append(UInt8(truncatingIfNeeded: row[column]))
    }
    labels.append(label)
    lineNumbers.append(line)
    row.removeAll(keepingCapacity: true)
  }

  private func malformed(_ detail: String) -> DatasetError {
    DatasetError.malformedRow(path: path, line: line, detail: detail)
  }
}
