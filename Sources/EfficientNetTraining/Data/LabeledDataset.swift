import EfficientNetImageIO

/// A labeled image collection that can be read from many threads at once: the data loader's input.
///
/// Images come back as 8-bit pixels with 1 (gray) or 3 (RGB) channels, `[H, W, C]` interleaved; the
/// loader converts them to the model's channel count. Labels are class indices into ``classNames``.
public protocol LabeledDataset: Sendable {
  /// The number of samples; valid indices are `0 ..< count`.
  var count: Int { get }
  /// The class names; label `k` is `classNames[k]`.
  var classNames: [String] { get }
  /// The label (class index) of sample `index`, without reading its image.
  func label(at index: Int) -> Int
  /// A name for sample `index` in messages: its file path, or file and line.
  func source(at index: Int) -> String
  /// Reads (and decodes) the image of sample `index`.
  ///
  /// - Returns: `[H, W, C]` 8-bit pixels, `C` 1 or 3.
  /// - Throws: An error naming the sample's file when it cannot be read or decoded.
  func image(at index: Int) throws -> Preprocessor.SourceImage
}

extension LabeledDataset {
  /// The number of samples of each class, indexed by label, over the given samples.
  ///
  /// - Parameter indices: The samples to count; all of them when nil.
  public func classCounts(of indices: [Int]? = nil) -> [Int] {
    var counts = [Int](repeating: 0, count: classNames.count)
    for index in indices ?? Array(0..<count) {
      let label = label(at: index)
      if counts.indices.contains(label) { counts[label] += 1 }
    }
    return counts
  }
}

/// A dataset held in memory: images and labels given directly (for tests, and for data made in code).
public struct InMemoryDataset: LabeledDataset {
  /// The images, in sample order.
  public let images: [Preprocessor.SourceImage]
  /// The labels, one per image.
  public let labels: [Int]
  /// The class names.
  public let classNames: [String]

  /// Creates a dataset from images and labels.
  ///
  /// - Parameters:
  ///   - images: `[H, W, C]` 8-bit images, `C` 1 or 3.
  ///   - labels: One class index per image, each in `0 ..< classNames.count`.
  ///   - classNames: The class names; by default "0", "1", … up to the largest label.
  public init(images: [Preprocessor.SourceImage], labels: [Int], classNames: [String]? = nil) {
    precondition(images.count == labels.count, "\(images.count) images but \(labels.count) labels")
    let names = classNames ?? (0..<((labels.max() ?? -1) + 1)).map { String($0) }
    precondition(labels.allSatisfy { names.indices.contains($0) }, "a label is outside the classes")
    self.images = images
    self.labels = labels
    self.classNames = names
  }

  /// The number of images.
  public var count: Int { images.count }
  /// The label of image `index`.
  public func label(at index: Int) -> Int { labels[index] }
  /// "sample INDEX".
  public func source(at index: Int) -> String { "sample \(index)" }
  /// Image `index`, as given.
  public func image(at index: Int) throws -> Preprocessor.SourceImage { images[index] }
}
