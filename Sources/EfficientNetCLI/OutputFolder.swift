import EfficientNetFiles
import Foundation

/// A folder a command writes its files into (`evaluate --plot`, `detect --draw`).
enum OutputFolder {
  /// `path` as a folder URL when it is a folder or nothing yet; anything else there is an error
  /// naming `flag` and what is there.
  static func check(_ path: String, flag: String, purpose: String) throws -> URL {
    switch FileKind.of(path) {
    case .directory, .absent: return URL(fileURLWithPath: path)
    case let other:
      throw CommandError("\(flag) \(path): is \(other.phrase), not a folder to write \(purpose) in")
    }
  }
}
