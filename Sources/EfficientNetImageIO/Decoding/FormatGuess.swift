import Foundation

/// Names what a file that is neither JPEG, PNG nor DICOM looks like, for the error that refuses it.
enum FormatGuess {
  /// The bytes before and including DICOM's "DICM" marker: a shorter file cannot be Part 10 DICOM.
  static let dicomPrefixByteCount = 132

  /// The refusal of `data`, which is not JPEG, PNG or DICOM: `.unsupportedFormat` naming a format we
  /// recognise but do not decode, else `.unrecognizedFormat` with the first bytes (files under 8 bytes
  /// get `.unsupportedFormat` without a name).
  ///
  /// A file named as DICOM (`.dcm`, `.dicom`, `.dic`) but shorter than DICOM's 132-byte prefix is
  /// `.unrecognizedFormat` (too short to be DICOM), whatever it starts with: DICOM preambles often hold
  /// a TIFF header, so a DICOM file cut inside its preamble would otherwise be called TIFF.
  static func unsupportedFormatError(_ data: Data, source: String) -> ImageDecodingError {
    let leadingBytes = [UInt8](data.prefix(8))
    let namedDICOM = MedicalImageReader.dicomExtensions.contains(
      (source as NSString).pathExtension.lowercased())
    if namedDICOM && data.count < dicomPrefixByteCount {
      return .unrecognizedFormat(source: source, byteCount: data.count, leadingBytes: leadingBytes)
    }
    if let name = otherFormatName(of: data) {
      return .unsupportedFormat(source: source, detectedFormat: name)
    }
    guard data.count >= 8 else { return .unsupportedFormat(source: source, detectedFormat: nil) }
    return .unrecognizedFormat(source: source, byteCount: data.count, leadingBytes: leadingBytes)
  }

  /// A name for common formats we do not decode, to make the error message useful.
  static func otherFormatName(of data: Data) -> String? {
    let bytes = [UInt8](data.prefix(dicomPrefixByteCount))
    func matches(_ prefix: String, at offset: Int = 0) -> Bool {
      let expected = Array(prefix.utf8)
      return bytes.count >= offset + expected.count
        && Array(bytes[offset..<offset + expected.count]) == expected
    }
    if matches("GIF87a") || matches("GIF89a") { return "GIF" }
    if matches("BM") { return "BMP" }
    if matches("RIFF") && matches("WEBP", at: 8) { return "WebP" }
    if matches("II*\u{0}") || matches("MM\u{0}*") { return "TIFF" }
    if matches("ftypavif", at: 4) { return "AVIF" }
    if matches("ftyphei", at: 4) || matches("ftypmif1", at: 4) { return "HEIF" }
    if matches("DICM", at: 128) { return "DICOM" }
    if bytes.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50])
      || bytes.starts(with: [0xFF, 0x4F, 0xFF, 0x51])
    {
      return "JPEG 2000"
    }
    if bytes.count >= 2, bytes[0] == 0x50, (0x31...0x36).contains(bytes[1]) { return "PNM" }
    return nil
  }

  /// Bytes as spaced upper-case hex: "49 49 2A 00".
  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
      let digits = String(byte, radix: 16, uppercase: true)
      return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
  }
}

extension ImageDecoder {
  /// Why the start of a file shows it cannot be decoded, or nil when it starts like JPEG, PNG or DICOM:
  /// a cheap check from the first bytes, without decoding (an image-folder dataset makes it when it is
  /// opened).
  /// - Parameters:
  ///   - head: The file's first bytes (132 suffice; fewer when the file is shorter).
  ///   - source: The name used in the error, usually the path.
  /// - Returns: `.emptyFile`, `.unsupportedFormat` or `.unrecognizedFormat` naming `source`; nil for a
  ///   file that may decode.
  public static func formatProblem(ofHead head: Data, source: String) -> ImageDecodingError? {
    guard !head.isEmpty else { return .emptyFile(source: source) }
    if format(of: head) != nil || MedicalImageReader.isDICOM(head) { return nil }
    return FormatGuess.unsupportedFormatError(head, source: source)
  }
}
