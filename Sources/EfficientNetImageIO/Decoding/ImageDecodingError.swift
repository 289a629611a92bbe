/// An image file format that `ImageDecoder` decodes.
public enum ImageFileFormat: String, Sendable, Equatable, CustomStringConvertible {
  /// JPEG (JFIF / Exif), baseline or progressive.
  case jpeg = "JPEG"
  /// PNG, any bit depth and colour type, interlaced or not.
  case png = "PNG"

  /// The format's usual name, "JPEG" or "PNG".
  public var description: String { rawValue }
}

/// Why an image could not be decoded. Every case carries the file (its path or the `source` name given to
/// the decoder), and every description starts with it, for example
/// `photo.jpg: truncated JPEG data (libjpeg: Premature end of JPEG file)`.
public enum ImageDecodingError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read (missing, a directory, no permission).
  case unreadableFile(source: String, reason: String)
  /// The file has no bytes.
  case emptyFile(source: String)
  /// The bytes are neither JPEG nor PNG. `detectedFormat` names what they look like, when recognisable
  /// ("BMP", "GIF", ...).
  case unsupportedFormat(source: String, detectedFormat: String?)
  /// The bytes match no image format we know (or the file is named as DICOM but is too short for it):
  /// `leadingBytes` are the first 8 of its `byteCount` bytes (a file under 132 bytes is too short to be
  /// DICOM, and the message says so).
  case unrecognizedFormat(source: String, byteCount: Int, leadingBytes: [UInt8])
  /// The file ends before the image does.
  case truncated(source: String, format: ImageFileFormat, detail: String)
  /// The file is malformed (bad marker, bad Huffman code, CRC error, ...).
  case corrupt(source: String, format: ImageFileFormat, detail: String)
  /// The file is valid but uses a feature we do not decode (12-bit or lossless JPEG, ...).
  case unsupportedFeature(source: String, format: ImageFileFormat, detail: String)
  /// The image has more pixels than the decoder accepts (a guard against decompression bombs); nothing
  /// was allocated for it.
  case tooLarge(source: String, width: Int, height: Int, maximumPixelCount: Int)
  /// The image's samples would take more bytes than the decoder accepts (width × height × channels ×
  /// bytes per sample, from the header); nothing was allocated for it.
  case tooManyBytes(
    source: String, width: Int, height: Int, channels: Int, bytesPerSample: Int, maximumByteCount: Int)
  /// Memory ran out while decoding.
  case outOfMemory(source: String, format: ImageFileFormat, detail: String)

  /// The file (path or source name) the error is about.
  public var source: String {
    switch self {
    case .unreadableFile(let source, _), .emptyFile(let source), .unsupportedFormat(let source, _),
      .truncated(let source, _, _), .corrupt(let source, _, _), .unsupportedFeature(let source, _, _),
      .tooLarge(let source, _, _, _), .outOfMemory(let source, _, _),
      .unrecognizedFormat(let source, _, _), .tooManyBytes(let source, _, _, _, _, _):
      return source
    }
  }

  /// A one-line message that starts with the file and says what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let source, let reason):
      return "\(source): cannot read file (\(reason))"
    case .emptyFile(let source):
      return "\(source): empty file (0 bytes), not an image"
    case .unsupportedFormat(let source, let detectedFormat):
      if let detectedFormat {
        return "\(source): unsupported image format \(detectedFormat) (only JPEG and PNG are decoded)"
      }
      return "\(source): unsupported image format (not JPEG or PNG)"
    case .unrecognizedFormat(let source, let byteCount, let leadingBytes):
      let first = "first bytes \(FormatGuess.hex(leadingBytes))"
      if byteCount < FormatGuess.dicomPrefixByteCount {
        return
          "\(source): unsupported image format, not JPEG or PNG (\(byteCount) bytes, \(first)), and too "
          + "short to be DICOM (a 128-byte preamble, then \"DICM\")"
      }
      return "\(source): unsupported image format, not JPEG, PNG or DICOM (\(first))"
    case .tooManyBytes(
      let source, let width, let height, let channels, let bytesPerSample, let maximumByteCount):
      let (total, overflow) = DecodeLimits.byteCount(
        width: width, height: height, channels: channels, bytesPerSample: bytesPerSample)
      let size = overflow ? "more than \(Int.max)" : "\(total)"
      return
        "\(source): image too large to decode (\(width) × \(height) pixels × \(channels) channels × "
        + "\(bytesPerSample) bytes = \(size) bytes exceeds the limit of \(maximumByteCount) bytes)"
    case .truncated(let source, let format, let detail):
      return "\(source): truncated \(format) data (\(Self.libraryName(format)): \(detail))"
    case .corrupt(let source, let format, let detail):
      return "\(source): corrupt \(format) (\(Self.libraryName(format)): \(detail))"
    case .unsupportedFeature(let source, let format, let detail):
      return "\(source): unsupported \(format) feature (\(Self.libraryName(format)): \(detail))"
    case .tooLarge(let source, let width, let height, let maximumPixelCount):
      return
        "\(source): image too large (\(width) × \(height) pixels exceeds the limit of "
        + "\(maximumPixelCount) pixels)"
    case .outOfMemory(let source, let format, let detail):
      return "\(source): out of memory decoding \(format) (\(Self.libraryName(format)): \(detail))"
    }
  }

  private static func libraryName(_ format: ImageFileFormat) -> String {
    switch format {
    case .jpeg: return "libjpeg"
    case .png: return "libpng"
    }
  }
}
