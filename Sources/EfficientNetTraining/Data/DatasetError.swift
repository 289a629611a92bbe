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

  /// The file or folder the error is about.
  public var path: String {
    switch self {
    case .missingPath(let path), .notADirectory(let path), .unreadable(let path, _), .emptyFile(let path),
      .malformedRow(let path, _, _), .corruptCompressedData(let path, _, _):
      return path
    case .noClassFolders(let root): return root
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
    }
  }
}
