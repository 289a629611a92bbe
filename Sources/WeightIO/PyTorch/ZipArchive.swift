import Foundation

/// The entries of a zip archive, read from its central directory: enough to find the uncompressed
/// ("stored") entries that `torch.save` writes, with every offset checked against the file.
///
/// Zip64 records are followed when present (torch writes them even for small files). Compressed or
/// encrypted entries are listed but have no data range; asking for their bytes is an error.
struct ZipArchive {
  /// One file in the archive.
  struct Entry {
    /// The path inside the archive, for example `archive/data/0`.
    let name: String
    /// The compression method (0 = stored, 8 = deflate…).
    let method: UInt16
    /// Whether bit 0 of the general-purpose flags (encryption) is set.
    let isEncrypted: Bool
    /// The stored bytes' range in the file (offsets from the start of the file's data).
    let dataRange: Range<Int>
  }

  /// The entries in central-directory order.
  let entries: [Entry]
  private let indexByName: [String: Int]
  private let source: String

  /// The zip "end of central directory" record is 22 bytes plus a comment of at most 65,535 bytes.
  private static let endRecordSize = 22
  private static let maximumCommentSize = 0xFFFF

  /// Reads the central directory of `data`.
  ///
  /// - Throws: ``CheckpointError/malformedArchive(source:reason:)`` when a record is missing, has a bad
  ///   signature, or points outside the file.
  init(data: Data, source: String) throws {
    self.source = source
    let bytes = ByteReader(data: data)
    func broken(_ reason: String) -> CheckpointError { .malformedArchive(source: source, reason: reason) }

    // Find the end-of-central-directory record, searching back over a possible comment.
    let lowest = max(0, data.count - Self.endRecordSize - Self.maximumCommentSize)
    var endRecord: Int?
    var candidate = data.count - Self.endRecordSize
    while candidate >= lowest {
      if bytes.uint32(at: candidate) == 0x0605_4B50 {
        endRecord = candidate
        break
      }
      candidate -= 1
    }
    guard let endRecord else {
      throw broken("no end-of-central-directory record (the file is truncated or not a zip archive)")
    }
    var entryCount = Int(bytes.uint16(at: endRecord + 10) ?? 0)
    var directorySize = UInt64(bytes.uint32(at: endRecord + 12) ?? 0)
    var directoryOffset = UInt64(bytes.uint32(at: endRecord + 16) ?? 0)

    // A zip64 locator sits right before the record; its values replace the 16/32-bit ones.
    if endRecord >= 20, bytes.uint32(at: endRecord - 20) == 0x0706_4B50 {
      guard let recordOffset = bytes.uint64(at: endRecord - 20 + 8),
        let zip64 = bytes.offset(recordOffset, length: 56)
      else {
        throw broken("the zip64 locator points outside the file")
      }
      guard bytes.uint32(at: zip64) == 0x0606_4B50, let count = bytes.uint64(at: zip64 + 32),
        let size = bytes.uint64(at: zip64 + 40), let offset = bytes.uint64(at: zip64 + 48)
      else {
        throw broken("bad zip64 end-of-central-directory record at byte \(grouped(zip64))")
      }
      guard count <= UInt64(data.count / 46) else {
        throw broken("the zip64 record claims \(grouped(count)) entries, more than the file can hold")
      }
      entryCount = Int(count)
      directorySize = size
      directoryOffset = offset
    }
    guard let directoryStart = bytes.offset(directoryOffset, length: directorySize) else {
      throw broken(
        "the central directory (\(grouped(directorySize)) bytes at \(grouped(directoryOffset))) "
          + "lies outside the \(grouped(data.count))-byte file")
    }
    let directoryEnd = directoryStart + Int(directorySize)

    var entries: [Entry] = []
    entries.reserveCapacity(entryCount)
    var position = directoryStart
    for index in 0..<entryCount {
      guard position + 46 <= directoryEnd, bytes.uint32(at: position) == 0x0201_4B50,
        let flags = bytes.uint16(at: position + 8), let method = bytes.uint16(at: position + 10),
        let compressedSize32 = bytes.uint32(at: position + 20),
        let size32 = bytes.uint32(at: position + 24),
        let nameLength = bytes.uint16(at: position + 28), let extraLength = bytes.uint16(at: position + 30),
        let commentLength = bytes.uint16(at: position + 32),
        let localOffset32 = bytes.uint32(at: position + 42)
      else {
        throw broken("central-directory entry \(index) at byte \(grouped(position)) is malformed")
      }
      let nameStart = position + 46
      let extraStart = nameStart + Int(nameLength)
      let next = extraStart + Int(extraLength) + Int(commentLength)
      guard next <= directoryEnd else {
        throw broken("central-directory entry \(index) runs past the end of the directory")
      }
      let name = String(
        decoding: data[data.startIndex + nameStart..<data.startIndex + extraStart], as: UTF8.self)

      // Zip64 extended information (header 0x0001) holds the fields whose 32-bit value is all ones.
      var size = UInt64(size32)
      var compressedSize = UInt64(compressedSize32)
      var localOffset = UInt64(localOffset32)
      var field = extraStart
      while field + 4 <= extraStart + Int(extraLength) {
        let id = bytes.uint16(at: field) ?? 0
        let length = Int(bytes.uint16(at: field + 2) ?? 0)
        let fieldEnd = field + 4 + length
        guard fieldEnd <= extraStart + Int(extraLength) else {
          throw broken("the extra field of entry '\(name)' runs past its end")
        }
        if id == 0x0001 {
          var cursor = field + 4
          func next64() throws -> UInt64 {
            guard cursor + 8 <= fieldEnd, let value = bytes.uint64(at: cursor) else {
              throw broken("the zip64 field of entry '\(name)' is too short")
            }
            cursor += 8
            return value
          }
          if size32 == 0xFFFF_FFFF { size = try next64() }
          if compressedSize32 == 0xFFFF_FFFF { compressedSize = try next64() }
          if localOffset32 == 0xFFFF_FFFF { localOffset = try next64() }
        }
        field = fieldEnd
      }

      // The data follows the local header, whose name and extra lengths may differ from the central ones.
      guard let local = bytes.offset(localOffset, length: 30), bytes.uint32(at: local) == 0x0403_4B50,
        let localNameLength = bytes.uint16(at: local + 26),
        let localExtraLength = bytes.uint16(at: local + 28)
      else {
        throw broken(
          "the local header of entry '\(name)' (at byte \(grouped(localOffset))) is missing or bad")
      }
      let dataStart = local + 30 + Int(localNameLength) + Int(localExtraLength)
      guard let start = bytes.offset(UInt64(dataStart), length: compressedSize) else {
        throw broken(
          "the \(grouped(compressedSize)) bytes of entry '\(name)' run past the end of the "
            + "\(grouped(data.count))-byte file")
      }
      if method == 0 && compressedSize != size {
        throw broken("stored entry '\(name)' has different compressed and uncompressed sizes")
      }
      entries.append(
        Entry(
          name: name, method: method, isEncrypted: flags & 1 == 1,
          dataRange: start..<start + Int(compressedSize)))
      position = next
    }
    self.entries = entries
    indexByName = Dictionary(
      entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The entry called `name`, or nil.
  func entry(named name: String) -> Entry? {
    indexByName[name].map { entries[$0] }
  }

  /// The byte range of a stored entry's contents.
  ///
  /// - Throws: ``CheckpointError/malformedArchive(source:reason:)`` when the entry is compressed or
  ///   encrypted (torch never writes either).
  func storedRange(of entry: Entry) throws -> Range<Int> {
    guard !entry.isEncrypted else {
      throw CheckpointError.malformedArchive(source: source, reason: "entry '\(entry.name)' is encrypted")
    }
    guard entry.method == 0 else {
      let method = entry.method == 8 ? "deflate" : "method \(entry.method)"
      throw CheckpointError.malformedArchive(
        source: source,
        reason: "entry '\(entry.name)' is compressed (\(method)); torch.save stores entries uncompressed "
          + "and only those can be read (re-save the file with torch.save)")
    }
    return entry.dataRange
  }
}

/// Bounds-checked little-endian reads from a `Data`, at offsets counted from its first byte.
struct ByteReader {
  let data: Data

  /// The 16-bit value at `offset`, or nil when it would read outside the data.
  func uint16(at offset: Int) -> UInt16? { load(at: offset) }
  /// The 32-bit value at `offset`, or nil when it would read outside the data.
  func uint32(at offset: Int) -> UInt32? { load(at: offset) }
  /// The 64-bit value at `offset`, or nil when it would read outside the data.
  func uint64(at offset: Int) -> UInt64? { load(at: offset) }

  /// `offset` as an `Int` when `length` bytes from there lie inside the data; nil otherwise.
  func offset(_ offset: UInt64, length: UInt64) -> Int? {
    let count = UInt64(data.count)
    guard offset <= count, length <= count - offset else { return nil }
    return Int(offset)
  }

  private func load<Value: FixedWidthInteger>(at offset: Int) -> Value? {
    guard offset >= 0, offset <= data.count - MemoryLayout<Value>.size else { return nil }
    return data.withUnsafeBytes {
      Value(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Value.self))
    }
  }
}
