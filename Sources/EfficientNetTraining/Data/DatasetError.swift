/// Why a dataset could not be opened or read. Every case names the file or folder, and every
/// description starts with it (and the line, for CSV files), for example
/// `train.csv.gz:12: row has 783 values, expected 785 (784 pixels and the label)`.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
  /// The dataset folder or file does not exist.
  case missingPath(path: String)
  /// The dataset root is a file where a folder was expected.
  case notADirectory(path: String)
  /// An image-folder root holds no class folders.
  case noClassFolders(root: String)
  /// A class folder holds no `.jpg`, `.jpeg` or `.png` files.
  case emptyClass(folder: String)
  /// A file or folder could not be read.
  case unreadable(path: String, reason: String)
  /// A CSV file holds no rows.
  case emptyFile(path: String)
  /// A CSV row is malformed (wrong value count, not a number, out of range).
  case malformedRow(path: String, line: Int, detail: String)
  /// The compressed data is corrupt or cut short; `line` is the last line read completely.
  case corruptCompressedData(path: String, line: Int, detail: String)
  /// A file that starts with the gzip magic bytes ends before any of its data (inside or just after
  /// the gzip header).
  case truncatedGzipHeader(path: String, byteCount: Int)
  /// Image files of an image-folder dataset that cannot be images (empty, or their first bytes are no
  /// image format we decode): `count` of the `total`, the first of them `example`, refused because
  /// `reason` (a message naming it).
  case undecodableFiles(root: String, count: Int, total: Int, example: String, reason: String)
  /// An image-folder root holds more class folders than ``LabeledDatasetLimits/maximumClassCount``.
  case tooManyClasses(root: String, count: Int)

  /// The file or folder the error is about.
  public var path: String {
    switch self {
    case .missingPath(let path), .notADirectory(let path), .unreadable(let path, _), .emptyFile(let path),
      .malformedRow(let path, _, _), .corruptCompressedData(let path, _, _),
      .truncatedGzipHeader(let path, _):
      return path
    case .noClassFolders(let root), .undecodableFiles(let root, _, _, _, _), .tooManyClasses(let root, _):
      return root
    case .emptyClass(let folder): return folder
    }
  }

  /// A one-line message that starts with the file or folder and says what is wrong.
  public var description: String {
    switch self {
    case .missingPath(let path): return "\(path): no such file or folder"
    case .notADirectory(let path): return "\(path): not a folder (expected ROOT/CLASS/*.jpg|png)"
    case .noClassFolders(let root):
      return "\(root): no class folders (expected ROOT/CLASS/*.jpg|jpeg|png)"
    case .emptyClass(let folder): return "\(folder): class folder holds no .jpg, .jpeg or .png files"
    case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
    case .emptyFile(let path): return "\(path): no rows"
    case .malformedRow(let path, let line, let detail): return "\(path):\(line): \(detail)"
    case .corruptCompressedData(let path, let line, let detail):
      return "\(path): corrupt or truncated compressed data after line \(line) (zlib: \(detail))"
    case .truncatedGzipHeader(let path, let byteCount):
      return
        "\(path): truncated gzip stream (the file ended after \(byteCount) bytes, before any decompressed "
        + "data)"
    case .undecodableFiles(let root, let count, let total, let example, let reason):
      let files = count == 1 ? "1 of the \(total) image files is" : "\(count) of the \(total) image files are"
      return
        "\(root): \(files) not decodable images (expected JPEG, PNG or DICOM), for example \(example) — "
        + reason
    case .tooManyClasses(let root, let count):
      return
        "\(root): \(count) class folders, more than the limit of \(LabeledDatasetLimits.maximumClassCount) "
        + "classes"
    }
  }
}
