/// Why a medical image (DICOM, or a PNG read for its full-precision samples) could not be read. Every case
/// carries the file (its path or the `source` name given to the reader) and every description starts with
/// it, for example `scan.dcm: unsupported transfer syntax 1.2.840.10008.1.2.5 (RLE Lossless)`.
public enum MedicalImageError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read (missing, a directory, no permission).
  case unreadableFile(source: String, reason: String)
  /// The bytes are not a DICOM file we recognise (no "DICM" at offset 128 and no plausible data set at 0).
  case notDICOM(source: String)
  /// The file ends inside the element or pixel data that starts at `offset`.
  case truncated(source: String, offset: Int, detail: String)
  /// The file is malformed at `offset` (an impossible length, a missing item tag, ...).
  case corrupt(source: String, offset: Int, detail: String)
  /// The pixel data is encoded with a transfer syntax we do not decode (JPEG lossless, JPEG 2000, RLE,
  /// deflate, big endian, ...).
  case unsupportedTransferSyntax(source: String, uid: String, name: String)
  /// The image attributes describe pixels we do not decode (palette colour, 32 bits, ...).
  case unsupportedPixelFormat(source: String, detail: String)
  /// A required attribute (Rows, Columns, Pixel Data, ...) is absent or has an invalid value.
  case missingAttribute(source: String, name: String, detail: String)
  /// A compressed frame could not be decoded; `detail` is the codec's message.
  case compressedFrame(source: String, detail: String)
  /// The image has more pixels than allowed; nothing was allocated for it.
  case tooLarge(source: String, width: Int, height: Int, maximumPixelCount: Int)
  /// The decoded values would take more bytes than allowed (width × height × samples per pixel × bytes
  /// per value); nothing was allocated for them.
  case tooManyBytes(
    source: String, width: Int, height: Int, channels: Int, bytesPerSample: Int, maximumByteCount: Int)

  /// The file (path or source name) the error is about.
  public var source: String {
    switch self {
    case .unreadableFile(let source, _), .notDICOM(let source), .truncated(let source, _, _),
      .corrupt(let source, _, _), .unsupportedTransferSyntax(let source, _, _),
      .unsupportedPixelFormat(let source, _), .missingAttribute(let source, _, _),
      .compressedFrame(let source, _), .tooLarge(let source, _, _, _),
      .tooManyBytes(let source, _, _, _, _, _):
      return source
    }
  }

  /// A one-line message that starts with the file and says what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let source, let reason):
      return "\(source): cannot read file (\(reason))"
    case .notDICOM(let source):
      return "\(source): not a DICOM file (no \"DICM\" at byte 128 and no data set at byte 0)"
    case .truncated(let source, let offset, let detail):
      return "\(source): truncated DICOM file at byte \(offset) (\(detail))"
    case .corrupt(let source, let offset, let detail):
      return "\(source): corrupt DICOM file at byte \(offset) (\(detail))"
    case .unsupportedTransferSyntax(let source, let uid, let name):
      return
        "\(source): unsupported transfer syntax \(uid) (\(name)); decoded are Implicit VR Little Endian, "
        + "Explicit VR Little Endian and JPEG Baseline (Process 1)"
    case .unsupportedPixelFormat(let source, let detail):
      return "\(source): unsupported DICOM pixel format (\(detail))"
    case .missingAttribute(let source, let name, let detail):
      return "\(source): missing or invalid \(name) (\(detail))"
    case .compressedFrame(let source, let detail):
      return "\(source): cannot decode the compressed frame (\(detail))"
    case .tooLarge(let source, let width, let height, let maximumPixelCount):
      return
        "\(source): image too large (\(width) × \(height) pixels exceeds the limit of "
        + "\(maximumPixelCount) pixels)"
    case .tooManyBytes(
      let source, let width, let height, let channels, let bytesPerSample, let maximumByteCount):
      return ImageDecodingError.tooManyBytes(
        source: source, width: width, height: height, channels: channels, bytesPerSample: bytesPerSample,
        maximumByteCount: maximumByteCount
      ).description
    }
  }
}
