/// A streaming parser of `p0,…,pK-1,label` rows, fed the file in chunks of any size, that stops at the
/// first bad row and never holds more than its limits allow.
///
/// Values are whole numbers (`12`, or `12.0` with only zeros after the point); spaces, tabs and a
/// carriage return before the newline are ignored, as are blank lines. Errors name the line, the row
/// (counting data rows from 1), the column, the value as written and what was expected.
struct CSVRowParser {
  let path: String
  /// The largest pixel value allowed; 255 when the caller infers the maximum.
  let pixelLimit: Int
  /// The bounds on what is kept.
  let limits: CSVReadingLimits

  /// The values per row (pixels and label), set by the first row.
  private(set) var valuesPerRow: Int?
  /// Every row's pixels, unscaled.
  private(set) var pixels: [UInt8] = []
  private(set) var labels: [Int] = []
  private(set) var lineNumbers: [Int] = []
  private(set) var largestPixel = 0
  /// The largest label so far and the line it is on.
  private(set) var largestLabel: (value: Int, line: Int)?
  /// The labels seen (each below `LabeledDatasetLimits.maximumClassCount`).
  private(set) var distinctLabels: Set<Int> = []
  /// The line now being read (1-based).
  private(set) var line = 1

  /// The last line read completely (for messages about data after it).
  var lastCompleteLine: Int { line - 1 }
  /// The number of rows read.
  var rowCount: Int { labels.count }
  /// Whether `limits.maximumRowCount` rows have been read: the rest of the file is not needed.
  var isComplete: Bool { limits.maximumRowCount.map { rowCount >= $0 } ?? false }

  private var skippingLine: Bool
  private var row: [Int] = []
  private var value = 0
  private var digits = 0
  private var inFraction = false
  /// The current field as written (its first `shownFieldLength` bytes), for messages.
  private var fieldText: [UInt8] = []
  private var fieldTextIsCut = false
  /// What is wrong with the current field; thrown once the whole field has been read.
  private var fieldProblem: String?

  /// The largest value kept exactly; longer numbers are reported as too large.
  private static let valueCeiling = 1_000_000_000
  private static let shownFieldLength = 24

  init(path: String, pixelMaximum: Int?, skipsFirstLine: Bool, limits: CSVReadingLimits) {
    self.path = path
    self.pixelLimit = pixelMaximum ?? 255
    self.skippingLine = skipsFirstLine
    self.limits = limits
  }

  /// Parses the next bytes of the file, stopping early once ``isComplete``.
  mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
    for byte in bytes {
      if isComplete { return }
      if skippingLine {
        if byte == UInt8(ascii: "\n") {
          skippingLine = false
          line += 1
        }
        continue
      }
      try consume(byte)
    }
  }

  private mutating func consume(_ byte: UInt8) throws {
    switch byte {
    case UInt8(ascii: ","):
      try endField(endsRow: false)
      return
    case UInt8(ascii: "\n"):
      try endRow()
      line += 1
      return
    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
      return
    default:
      break
    }
    record(byte)
    guard fieldProblem == nil else { return }
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      if inFraction {
        if byte != UInt8(ascii: "0") { fieldProblem = "is not a whole number" }
      } else {
        value = min(value &* 10 &+ Int(byte &- UInt8(ascii: "0")), Self.valueCeiling)
        digits += 1
      }
    case UInt8(ascii: "."):
      if inFraction || digits == 0 { fieldProblem = "is not a whole number" } else { inFraction = true }
    default:
      let shown = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
      fieldProblem = "holds \(shown), not a whole number"
    }
  }

  /// Ends the input: a last row without a newline counts.
  mutating func finish() throws {
    if !skippingLine && !isComplete { try endRow() }
  }

  private mutating func record(_ byte: UInt8) {
    if fieldText.count < Self.shownFieldLength { fieldText.append(byte) } else { fieldTextIsCut = true }
  }

  private mutating func endField(endsRow: Bool) throws {
    let column = row.count + 1
    let isLabel = endsRow ? (valuesPerRow == nil || valuesPerRow == column) : valuesPerRow == column
    if let fieldProblem {
      throw malformed(
        column: column, "\(describeField(isLabel: isLabel)) \(fieldProblem) \(expected(isLabel))")
    }
    guard digits > 0 else { throw malformed(column: column, "the field is empty \(expected(isLabel))") }
    if let valuesPerRow, column > valuesPerRow {
      throw malformed(
        column: column,
        "the row has more than \(valuesPerRow) values, expected \(valuesPerRow) (\(valuesPerRow - 1) pixels "
          + "and the label)")
    }
    guard column <= limits.maximumValuesPerRow else {
      throw malformed(
        column: column,
        "the row has more than \(limits.maximumValuesPerRow) values, expected at most "
          + "\(limits.maximumValuesPerRow - 1) pixels (a square image) and the label")
    }
    row.append(value)
    value = 0
    digits = 0
    inFraction = false
    fieldText.removeAll(keepingCapacity: true)
    fieldTextIsCut = false
  }

  private mutating func endRow() throws {
    if row.isEmpty && digits == 0 && fieldProblem == nil { return }  // a blank line
    try endField(endsRow: true)
    let expected = valuesPerRow ?? row.count
    guard row.count == expected else {
      throw malformed(
        "row has \(row.count) values, expected \(expected) (\(expected - 1) pixels and the label)")
    }
    guard expected >= 2 else { throw malformed("row has 1 value, expected pixels and then the label") }
    valuesPerRow = expected
    for column in 0..<(expected - 1) where row[column] > pixelLimit {
      let value = row[column] >= Self.valueCeiling ? "\(Self.valueCeiling) or more" : "\(row[column])"
      throw malformed(
        column: column + 1, "pixel value \(value) exceeds the maximum \(pixelLimit) \(self.expected(false))")
    }
    let label = row[expected - 1]
    guard label < LabeledDatasetLimits.maximumClassCount else {
      let shown = label >= Self.valueCeiling ? "\(Self.valueCeiling) or more" : "\(label)"
      throw malformed(
        column: expected,
        "label \(shown) is too large \(self.expected(true)): at most "
          + "\(LabeledDatasetLimits.maximumClassCount) classes")
    }
    let pixelCount = expected - 1
    guard pixels.count + pixelCount <= limits.maximumPixelByteCount else {
      throw malformed(
        "the rows so far hold more than \(limits.maximumPixelByteCount) bytes of pixels, the limit for one "
          + "CSV dataset (read fewer rows, or raise maximumPixelByteCount)")
    }
    reserve(pixelCount)
    for column in 0..<pixelCount {
      largestPixel = max(largestPixel, row[column])
      pixels.append(UInt8(truncatingIfNeeded: row[column]))
    }
    labels.append(label)
    lineNumbers.append(line)
    distinctLabels.insert(label)
    if label > largestLabel?.value ?? -1 { largestLabel = (label, line) }
    row.removeAll(keepingCapacity: true)
  }

  /// Grows `pixels` by doubling, but never past the byte limit.
  private mutating func reserve(_ count: Int) {
    let needed = pixels.count + count
    guard needed > pixels.capacity else { return }
    pixels.reserveCapacity(min(limits.maximumPixelByteCount, max(needed, 2 * pixels.capacity)))
  }

  private func describeField(isLabel: Bool) -> String {
    let text = String(decoding: fieldText, as: UTF8.self) + (fieldTextIsCut ? "…" : "")
    return isLabel ? "label '\(text)'" : "pixel value '\(text)'"
  }

  private func expected(_ isLabel: Bool) -> String {
    isLabel
      ? "(expected a class index, a whole number 0–\(LabeledDatasetLimits.maximumClassCount - 1))"
      : "(expected a whole number 0–\(pixelLimit))"
  }

  private func malformed(column: Int, _ detail: String) -> DatasetError {
    malformed("row \(rowCount + 1), column \(column): \(detail)")
  }

  private func malformed(_ detail: String) -> DatasetError {
    DatasetError.malformedRow(path: path, line: line, detail: detail)
  }
}
