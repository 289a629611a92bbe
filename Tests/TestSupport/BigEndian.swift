/// Big-endian byte layouts (PNG and JPEG), for building and reading binary test files.
public enum BigEndian {
  /// The four bytes of `value`, most significant first.
  public static func bytes(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
  }

  /// The unsigned integer whose most significant byte comes first in `bytes`.
  public static func integer<Bytes: Collection>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8 {
    bytes.reduce(0) { $0 << 8 | Int($1) }
  }
}
