/// Why an image could not be encoded or written. Every description names the file when there is one.
public enum ImageEncodingError: Error, CustomStringConvertible, Equatable {
  /// The image has no pixels (PNG needs a width and height of at least 1).
  case emptyImage(destination: String, width: Int, height: Int)
  /// The image is too large for the format (PNG sizes are limited to 2³¹ − 1).
  case tooLarge(destination: String, width: Int, height: Int)
  /// The file could not be written (missing folder, no permission, full disk).
  case writeFailed(destination: String, reason: String)

  /// A one-line message that starts with the destination and says what is wrong.
  public var description: String {
    switch self {
    case .emptyImage(let destination, let width, let height):
      return "\(destination): cannot encode an empty \(width)×\(height) image as PNG"
    case .tooLarge(let destination, let width, let height):
      return "\(destination): \(width)×\(height) is too large for PNG"
    case .writeFailed(let destination, let reason):
      return "\(destination): cannot write the file (\(reason))"
    }
  }
}
