import EfficientNetImageIO
import Foundation

/// Square gray images stored one per CSV row, `p0,p1,…,pK-1,label` (no header unless asked), read
/// from a plain or gzip-compressed file: the format of MNIST's `mnist_5k.csv.gz` (784 values 0–255,
/// 28 × 28) and scikit-learn's `digits.csv.gz` (64 values 0–16, 8 × 8).
///
/// The side is `√K`; pixels are row-major. Values are whole numbers (`12` or `12.0`); they are scaled
/// from `0 … pixelMaximum` to `0 … 255` (rounded) and kept in memory, 1 byte each. Labels are class
/// indices; the classes are named "0", "1", … up to the largest label.
public struct CSVImageDataset: LabeledDataset {
  /// The file the rows came from.
  public let path: String
  /// The side of every image, in pixels.
  public let side: Int
  /// The value that meant full white in the file (255 for MNIST, 16 for the 8 × 8 digits).
  public let pixelMaximum: Int
  /// Every image's pixels, scaled to 0–255: `[N, side, side]`.
  public let pixels: [UInt8]
  /// The label of each row.
  public let labels: [Int]
  /// The line each row was read from (1-based), for messages.
  public let lineNumbers: [Int]
  /// "0", "1", … up to the largest label.
  public let classNames: [String]

  /// Reads a CSV file of images.
  ///
  /// - Parameters:
  ///   - url: A `.csv` or `.csv.gz` file (gzip is recognised from the content, not the name).
  ///   - pixelMaximum: The value of full white, 1 to 255; when nil, 16 if no value exceeds 16 (the
  ///     8 × 8 digits), else 255.
  ///   - hasHeader: Whether the first line is a header to skip.
  ///   - limits: How much is read: the values per row, the pixel bytes kept and the rows read (with
  ///     `maximumRowCount`, reading stops after that many rows; the rest of the file is not read).
  /// - Throws: `DatasetError` naming the file, and the line, row and column for a malformed row (wrong
  ///   value count, a value that is not a whole number 0–255 or exceeds `pixelMaximum`, a label that is
  ///   not a class index, a non-square pixel count) — reading stops at the first; a label far beyond the
  ///   distinct labels (see ``LabeledDatasetLimits``); rows past `limits`; corrupt or truncated gzip
  ///   data; a missing file or one that is not a regular file; or a file without rows.
  public init(
    contentsOf url: URL, pixelMaximum: Int? = nil, hasHeader: Bool = false,
    limits: CSVReadingLimits = .standard
  ) throws {
    let path = url.path
    if let pixelMaximum {
      precondition((1...255).contains(pixelMaximum), "pixelMaximum must be 1...255, got \(pixelMaximum)")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw DatasetError.unreadable(path: path, reason: "a folder, not a CSV file")
    }
    let reader = try GzipFileReader(path: path)
    var parser = CSVRowParser(
      path: path, pixelMaximum: pixelMaximum, skipsFirstLine: hasHeader, limits: limits)
    // zlib drops the bytes of a read that ends in an error, so small reads keep the line numbers of
    // corruption messages close to the damage.
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 14, alignment: 16)
    defer { chunk.deallocate() }
    while !parser.isComplete {
      let count = try reader.read(into: chunk, line: parser.lastCompleteLine)
      if count == 0 { break }
      try parser.consume(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
    }
    try parser.finish()
    guard parser.rowCount > 0, let valuesPerRow = parser.valuesPerRow else {
      throw DatasetError.emptyFile(path: path)
    }

    let pixelCount = valuesPerRow - 1
    let side = Int(Double(pixelCount).squareRoot().rounded())
    guard side * side == pixelCount else {
      throw DatasetError.malformedRow(
        path: path, line: parser.lineNumbers[0],
        detail: "\(pixelCount) pixel values before the label do not form a square image")
    }
    if let (largest, line) = parser.largestLabel,
      let problem = LabeledDatasetLimits.classCountProblem(
        largestLabel: largest, distinctLabelCount: parser.distinctLabels.count)
    {
      throw DatasetError.malformedRow(path: path, line: line, detail: problem)
    }
    let maximum = pixelMaximum ?? (parser.largestPixel <= 16 ? 16 : 255)
    var pixels = parser.pixels
    if maximum != 255 {
      let table = (0...255).map { UInt8(min(255, ($0 * 255 + maximum / 2) / maximum)) }
      pixels.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices { buffer[index] = table[Int(buffer[index])] }
      }
    }
    self.path = path
    self.side = side
    self.pixelMaximum = maximum
    self.pixels = pixels
    self.labels = parser.labels
    self.lineNumbers = parser.lineNumbers
    self.classNames = (0...(parser.labels.max() ?? 0)).map { String($0) }
  }

  /// The number of rows.
  public var count: Int { labels.count }

  /// The label of row `index`.
  public func label(at index: Int) -> Int { labels[index] }

  /// "PATH:LINE" of row `index`.
  public func source(at index: Int) -> String { "\(path):\(lineNumbers[index])" }

  /// Row `index` as a `side × side` gray image (values scaled to 0–255).
  public func image(at index: Int) throws -> Preprocessor.SourceImage {
    let size = side * side
    return Preprocessor.SourceImage(
      pixels: Array(pixels[(index * size)..<((index + 1) * size)]), width: side, height: side, channels: 1)
  }
}
