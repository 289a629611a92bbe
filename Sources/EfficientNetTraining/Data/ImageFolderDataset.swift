import EfficientNetFiles
import EfficientNetImageIO
import Foundation

/// An image-folder dataset, `ROOT/CLASS_NAME/*.{jpg,jpeg,png,dcm}` (torchvision's `ImageFolder` layout).
///
/// Classes are the subfolders in sorted name order (by Unicode code point, as Python sorts): label `k`
/// is the `k`-th name. Files are listed in sorted name order within each class, extensions matched
/// case-insensitively. Hidden files and folders (names starting with ".") are ignored, as are other
/// files. Images are decoded when asked for, from any thread: gray files stay 1 channel, colour files
/// become RGB, alpha is dropped.
public struct ImageFolderDataset: LabeledDataset {
  /// The root folder.
  public let root: URL
  /// The class folder names, sorted.
  public let classNames: [String]
  /// Every image file, class by class.
  public let files: [URL]
  /// The label of each file.
  public let labels: [Int]
  /// Whether the EXIF orientation is applied when decoding.
  public let appliesOrientation: Bool
  /// How 16-bit gray PNGs become 8-bit.
  public let sixteenBitGray: SixteenBitGrayReduction

  /// The extensions read, lower-case.
  public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "dcm", "dicom"]

  /// Lists an image-folder dataset.
  ///
  /// - Parameters:
  ///   - root: The folder holding one subfolder per class.
  ///   - applyOrientation: Whether to apply the EXIF orientation tag when decoding.
  ///   - sixteenBitGray: How 16-bit gray becomes 8-bit: the high byte (default, keeps the range) or
  ///     Pillow's clamp at 255.
  ///   - checksFiles: Whether to read the first bytes of every file now and refuse the dataset when any
  ///     is not a regular file, is empty, or does not start like JPEG, PNG or DICOM (so a folder of
  ///     empty or mislabelled files is refused by name instead of training on nothing).
  /// - Throws: `DatasetError` naming the folder: missing root, root not a folder, no class folders,
  ///   more than ``LabeledDatasetLimits/maximumClassCount`` of them, a class folder without images, a
  ///   folder that cannot be listed, or (with `checksFiles`) files that cannot be images, the first of
  ///   them named and counted.
  public init(
    root: URL, applyOrientation: Bool = true, sixteenBitGray: SixteenBitGrayReduction = .highByte,
    checksFiles: Bool = true
  ) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
      throw DatasetError.missingPath(path: root.path)
    }
    guard isDirectory.boolValue else { throw DatasetError.notADirectory(path: root.path) }

    let classNames = try Self.visibleEntries(of: root).filter { name in
      var isFolder: ObjCBool = false
      return manager.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isFolder)
        && isFolder.boolValue
    }
    guard !classNames.isEmpty else { throw DatasetError.noClassFolders(root: root.path) }
    guard classNames.count <= LabeledDatasetLimits.maximumClassCount else {
      throw DatasetError.tooManyClasses(root: root.path, count: classNames.count)
    }

    var files: [URL] = []
    var labels: [Int] = []
    for (label, name) in classNames.enumerated() {
      let folder = root.appendingPathComponent(name, isDirectory: true)
      let images = try Self.visibleEntries(of: folder).filter { file in
        let fileExtension = (file as NSString).pathExtension.lowercased()
        var isFolder: ObjCBool = false
        return Self.imageExtensions.contains(fileExtension)
          && manager.fileExists(atPath: folder.appendingPathComponent(file).path, isDirectory: &isFolder)
          && !isFolder.boolValue
      }
      guard !images.isEmpty else { throw DatasetError.emptyClass(folder: folder.path) }
      files += images.map { folder.appendingPathComponent($0) }
      labels += [Int](repeating: label, count: images.count)
    }
    if checksFiles { try Self.checkImageHeads(files, root: root) }
    self.root = root
    self.classNames = classNames
    self.files = files
    self.labels = labels
    self.appliesOrientation = applyOrientation
    self.sixteenBitGray = sixteenBitGray
  }

  /// The number of image files.
  public var count: Int { files.count }

  /// The label (class index) of file `index`.
  public func label(at index: Int) -> Int { labels[index] }

  /// The path of file `index`.
  public func source(at index: Int) -> String { files[index].path }

  /// Decodes file `index`: 1 channel for gray files, 3 (RGB) for colour ones, alpha dropped.
  ///
  /// - Throws: `ImageDecodingError` naming the file (unreadable, not JPEG/PNG, corrupt, truncated, …).
  public func image(at index: Int) throws -> Preprocessor.SourceImage {
    let decoded = try ImageDecoder.decode(contentsOf: files[index], applyOrientation: appliesOrientation)
    return Self.eightBit(decoded, sixteenBitGray: sixteenBitGray)
  }

  /// A decoded image as 8-bit gray (from gray or gray + alpha) or 8-bit RGB (from the rest).
  static func eightBit(
    _ image: DecodedImage, sixteenBitGray: SixteenBitGrayReduction
  ) -> Preprocessor.SourceImage {
    let width = image.width, height = image.height
    switch (image.channels, image.bitDepth) {
    case (1, 8):
      return Preprocessor.SourceImage(pixels: image.samples8, width: width, height: height, channels: 1)
    case (3, 8):
      return Preprocessor.SourceImage(pixels: image.samples8, width: width, height: height, channels: 3)
    case (2, _), (1, _):
      let stride = image.channels
      let gray: [UInt8]
      if image.bitDepth == 8 {
        gray = (0..<image.pixelCount).map { image.samples8[$0 * stride] }
      } else if stride == 1 && sixteenBitGray == .clampLikePillow {
        gray = image.samples16.map { UInt8(truncatingIfNeeded: min($0, 255)) }
      } else {
        gray = (0..<image.pixelCount).map { UInt8(truncatingIfNeeded: image.samples16[$0 * stride] >> 8) }
      }
      return Preprocessor.SourceImage(pixels: gray, width: width, height: height, channels: 1)
    default:
      let rgb = image.convertedToRGB8(sixteenBitGray: sixteenBitGray)
      return Preprocessor.SourceImage(pixels: rgb.samples8, width: width, height: height, channels: 3)
    }
  }

  /// Refuses the dataset when any file is not a regular file, is empty, or starts like no image format
  /// the decoder reads, naming the first such file and counting them all.
  static func checkImageHeads(_ files: [URL], root: URL) throws {
    var badCount = 0
    var first: (path: String, reason: String)?
    for file in files {
      let problem: String?
      do {
        let head = try RegularFile.head(of: file, count: 132)
        problem = ImageDecoder.formatProblem(ofHead: head, source: file.path)?.description
      } catch {
        problem = error.description
      }
      guard let problem else { continue }
      badCount += 1
      if first == nil { first = (file.path, problem) }
    }
    if let first {
      throw DatasetError.undecodableFiles(
        root: root.path, count: badCount, total: files.count, example: first.path, reason: first.reason)
    }
  }

  /// The names in `folder` that do not start with ".", sorted by code point as Python's `sorted` does.
  private static func visibleEntries(of folder: URL) throws -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { !$0.hasPrefix(".") }
        .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    } catch {
      throw DatasetError.unreadable(path: folder.path, reason: error.localizedDescription)
    }
  }
}
