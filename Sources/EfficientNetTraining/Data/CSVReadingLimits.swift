/// How much a CSV dataset reader keeps before it stops.
public struct CSVReadingLimits: Sendable, Equatable {
  /// The most values in a row (pixels and label): 1024 × 1024 pixels and the label by default.
  public var maximumValuesPerRow: Int
  /// The most bytes of pixels kept over all rows: 256 MiB by default (342,000 MNIST-size rows).
  public var maximumPixelByteCount: Int
  /// Rows after this many are not read (nil reads them all).
  public var maximumRowCount: Int?

  /// The default limits, reading every row.
  public static let standard = CSVReadingLimits()

  /// Creates limits.
  /// - Parameters:
  ///   - maximumValuesPerRow: The most values in a row, at least 2.
  ///   - maximumPixelByteCount: The most bytes of pixels kept, at least 1.
  ///   - maximumRowCount: Rows read at most (nil: all), at least 1.
  public init(
    maximumValuesPerRow: Int = 1024 * 1024 + 1, maximumPixelByteCount: Int = 256 << 20,
    maximumRowCount: Int? = nil
  ) {
    precondition(maximumValuesPerRow >= 2, "maximumValuesPerRow must be at least 2")
    precondition(maximumPixelByteCount >= 1, "maximumPixelByteCount must be at least 1")
    precondition(maximumRowCount.map { $0 >= 1 } ?? true, "maximumRowCount must be at least 1")
    self.maximumValuesPerRow = maximumValuesPerRow
    self.maximumPixelByteCount = maximumPixelByteCount
    self.maximumRowCount = maximumRowCount
  }
}
