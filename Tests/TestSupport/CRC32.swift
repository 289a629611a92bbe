/// CRC-32 as zlib and PNG compute it, written out here so tests do not check the library against itself.
public enum CRC32 {
  /// The byte-at-a-time table of the reflected polynomial 0xEDB88320.
  private static let table: [UInt32] = (0..<256).map { index in
    var crc = UInt32(index)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    return crc
  }

  /// The CRC-32 of `bytes`.
  public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
  }

  /// The CRC-32 of the floats' little-endian float32 bytes (as NumPy's `tobytes()` gives them).
  public static func checksum(_ values: [Float]) -> UInt32 { checksum(LittleEndian.bytes(values)) }
}
