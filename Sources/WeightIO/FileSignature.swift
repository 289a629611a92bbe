/// Recognizes files that are not weight files by their first bytes (magic numbers), so that a reader
/// can say "it starts like a JPEG image" instead of misreading the bytes as a header length.
public enum FileSignature {
  /// The magic numbers known here, each with what it means.
  private static let signatures: [(offset: Int, bytes: [UInt8], kind: String)] = [
    (0, [0xFF, 0xD8, 0xFF], "a JPEG image"),
    (0, [0x89, 0x50, 0x4E, 0x47], "a PNG image"),
    (0, Array("GIF8".utf8), "a GIF image"),
    (8, Array("WEBP".utf8), "a WebP image"),
    (0, [0x49, 0x49, 0x2A, 0x00], "a TIFF image"),
    (0, [0x4D, 0x4D, 0x00, 0x2A], "a TIFF image"),
    (0, [0x1F, 0x8B], "gzip-compressed data (decompress it first)"),
    (0, [0x89, 0x48, 0x44, 0x46], "an HDF5 file (Keras .h5 weights are not supported)"),
    (0, [0x93] + Array("NUMPY".utf8), "a NumPy .npy array"),
    (0, Array("%PDF".utf8), "a PDF document"),
    (0, [0x7F, 0x45, 0x4C, 0x46], "an ELF executable"),
  ]

  /// What the file whose first bytes are `head` is, when it is recognizably not a weight file: for
  /// example "a JPEG image"; nil otherwise.
  ///
  /// A safetensors file (whose ninth byte opens the JSON header with `{`) is never judged foreign, even
  /// when its header length happens to spell a magic number.
  ///
  /// - Parameter head: the file's first bytes (16 are enough).
  public static func foreignKind(of head: some Collection<UInt8>) -> String? {
    let bytes = Array(head.prefix(16))
    if bytes.count > 8 && bytes[8] == UInt8(ascii: "{") { return nil }
    for signature in signatures where bytes.count >= signature.offset + signature.bytes.count {
      if Array(bytes[signature.offset..<signature.offset + signature.bytes.count]) == signature.bytes {
        return signature.kind
      }
    }
    return nil
  }

  /// "it starts like a JPEG image" for a recognized foreign file, else a description of its first
  /// bytes ("it starts with bytes 12 34 56 78").
  public static func describeStart(of head: some Collection<UInt8>) -> String {
    if let kind = foreignKind(of: head) { return "it starts like \(kind)" }
    let hex = head.prefix(4).map { byte in
      let digits = String(byte, radix: 16, uppercase: true)
      return digits.count == 1 ? "0" + digits : digits
    }
    return hex.isEmpty ? "the file is empty" : "it starts with bytes \(hex.joined(separator: " "))"
  }
}
