/// Little-endian byte layouts, for building and reading binary test files.
public enum LittleEndian {
  /// The bytes of `value`, least significant first.
  public static func bytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  /// The bytes of each float's bit pattern, least significant first.
  public static func bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { bytes($0.bitPattern) }
  }

  /// The unsigned integer whose least significant byte comes first in `bytes`.
  public static func integer<Bytes: Collection>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// Consecutive 16-bit values (a trailing odd byte is ignored).
  public static func uint16s(_ bytes: [UInt8]) -> [UInt16] {
    stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
  }

  /// Consecutive float32 values (trailing bytes short of four are ignored).
  public static func floats(_ bytes: [UInt8]) -> [Float] {
    (0..<(bytes.count / 4)).map { index in
      Float(bitPattern: UInt32(truncatingIfNeeded: integer(bytes[(4 * index)..<(4 * index + 4)])))
    }
  }
}
