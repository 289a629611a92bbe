/// The two checksums a PNG file needs: CRC-32 over each chunk and Adler-32 over the zlib stream.
public enum Checksums {
  /// The CRC-32 lookup table for the reflected polynomial 0xEDB88320 (ISO 3309, as PNG and gzip use).
  private static let crcTable: [UInt32] = (0..<256).map { index in
    var value = UInt32(index)
    for _ in 0..<8 {
      value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
    }
    return value
  }

  /// Continues a CRC-32 over `bytes`.
  ///
  /// - Parameters:
  ///   - bytes: The bytes to add.
  ///   - crc: The CRC of the bytes before (0 to start).
  /// - Returns: The CRC-32 of the bytes before followed by `bytes` (`crc32([0x61]) == 0xE8B7BE43`).
  public static func crc32<Bytes: Sequence>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32
  where Bytes.Element == UInt8 {
    var value = ~crc
    for byte in bytes {
      value = crcTable[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
    }
    return ~value
  }

  /// Continues an Adler-32 (RFC 1950) over `bytes`.
  ///
  /// - Parameters:
  ///   - bytes: The bytes to add.
  ///   - adler: The checksum of the bytes before (1 to start).
  /// - Returns: The Adler-32 of the bytes before followed by `bytes` (`adler32("Wikipedia") == 0x11E60398`).
  public static func adler32(_ bytes: UnsafeBufferPointer<UInt8>, continuing adler: UInt32 = 1) -> UInt32 {
    let modulus: UInt32 = 65521
    var low = adler & 0xFFFF
    var high = adler >> 16
    // 5552 is the longest run for which `high` cannot overflow 32 bits before the reduction.
    var start = 0
    while start < bytes.count {
      let end = min(start + 5552, bytes.count)
      for index in start..<end {
        low &+= UInt32(bytes[index])
        high &+= low
      }
      low %= modulus
      high %= modulus
      start = end
    }
    return high << 16 | low
  }
}
