/// A file that cannot be read or written safely. Every description names the path and says what is
/// there instead of what was expected.
public struct FileAccessError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The path as the user gave it.
  public let path: String
  /// Why it was refused, for example "a named pipe (FIFO), not a regular file".
  public let reason: String

  /// A refusal of `path` for `reason`.
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  /// "PATH: REASON".
  public var description: String { "\(path): \(reason)" }
}
