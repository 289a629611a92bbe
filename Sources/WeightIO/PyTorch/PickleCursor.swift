import Foundation

/// A pickle problem without its position; ``PickleMachine/run(_:from:)`` adds the offset and file.
struct PickleFailure: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }
  static let truncated = PickleFailure("truncated: the data ends inside the pickle")
}

/// Bounds-checked reads of the pickle's bytes.
struct PickleCursor {
  let bytes: UnsafeRawBufferPointer
  var position: Int

  var remaining: Int { bytes.count - position }

  mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
    guard count >= 0, position >= 0, count <= remaining else { throw PickleFailure.truncated }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
  }

  mutating func byte() throws -> UInt8 { try take(1)[0] }

  mutating func uint16() throws -> UInt16 { try load() }
  mutating func uint32() throws -> UInt32 { try load() }
  mutating func uint64() throws -> UInt64 { try load() }

  /// Bytes after a one-byte length (SHORT_BINUNICODE, LONG1…).
  mutating func prefixed8() throws -> UnsafeRawBufferPointer {
    let length = Int(try byte())
    return try take(length)
  }

  /// Bytes after a 32-bit signed length (BINUNICODE, LONG4…), which must be >= 0.
  mutating func prefixed32() throws -> UnsafeRawBufferPointer {
    let length = Int32(bitPattern: try uint32())
    guard length >= 0 else { throw PickleFailure("negative length \(length)") }
    return try take(Int(length))
  }

  /// Bytes after a 64-bit length (BINUNICODE8, BINBYTES8).
  mutating func prefixed64() throws -> UnsafeRawBufferPointer {
    let length = try uint64()
    guard length <= UInt64(remaining) else { throw PickleFailure.truncated }
    return try take(Int(length))
  }

  /// The text up to the next newline (GLOBAL's module and name), at most 256 bytes.
  mutating func line() throws -> String {
    let start = position
    while true {
      let character = try byte()
      if character == 0x0A { break }
      guard position - start <= 256 else { throw PickleFailure("a GLOBAL name is longer than 256 bytes") }
    }
    let bytes = UnsafeRawBufferPointer(rebasing: self.bytes[start..<position - 1])
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw PickleFailure("a GLOBAL name is not valid UTF-8")
    }
    return text
  }

  private mutating func load<Value: FixedWidthInteger>() throws -> Value {
    let raw = try take(MemoryLayout<Value>.size)
    return Value(littleEndian: raw.loadUnaligned(as: Value.self))
  }
}
