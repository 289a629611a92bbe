import CImageCodecs
import EfficientNetFiles

/// Reads a gzip-compressed or plain file in chunks (zlib, through the `gzr_*` shim).
final class GzipFileReader {
  /// The path, for messages.
  let path: String
  /// The file's length on disk.
  let fileByteCount: Int
  /// The decompressed bytes handed out so far.
  private(set) var decompressedByteCount = 0
  private let reader: OpaquePointer
  private var checkedHeader = false

  /// Opens `path`, which must be a regular, readable file (a FIFO or device is refused before zlib
  /// opens it, so a read can neither block nor stream without end).
  ///
  /// - Throws: `DatasetError.missingPath` or `.unreadable` naming the file.
  init(path: String) throws {
    self.path = path
    do {
      try RegularFile.requireReadable(path)
      fileByteCount = try RegularFile.byteCount(at: path)
    } catch {
      if FileKind.of(path) == .absent { throw DatasetError.missingPath(path: path) }
      throw DatasetError.unreadable(path: path, reason: error.reason)
    }
    var message = [CChar](repeating: 0, count: 256)
    guard let reader = gzr_open(path, &message, message.count) else {
      let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if reason == "No such file or directory" { throw DatasetError.missingPath(path: path) }
      throw DatasetError.unreadable(path: path, reason: reason)
    }
    self.reader = reader
  }

  deinit { gzr_close(reader) }

  /// Whether the file is gzip-compressed (rather than read as plain bytes).
  var isCompressed: Bool { gzr_is_compressed(reader) != 0 }

  /// Reads the next decompressed bytes into `buffer`.
  ///
  /// - Parameter line: The last complete line read so far, for the error message.
  /// - Returns: The number of bytes read; 0 at the end of the file.
  /// - Throws: `DatasetError.corruptCompressedData` (corrupt, bad checksum, cut short) or
  ///   `.truncatedGzipHeader` naming the file.
  func read(into buffer: UnsafeMutableRawBufferPointer, line: Int) throws -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    let count = gzr_read(reader, base, buffer.count)
    if count < 0 {
      if gzr_is_truncated(reader) != 0 {
        if decompressedByteCount == 0 {
          throw DatasetError.truncatedGzipHeader(path: path, byteCount: fileByteCount)
        }
        throw DatasetError.corruptCompressedData(
          path: path, line: line,
          detail:
            "truncated gzip stream: the \(fileByteCount)-byte file ended after \(decompressedByteCount) "
            + "decompressed bytes")
      }
      var detail = String(cString: gzr_message(reader))
      if detail.hasPrefix("\(path): ") { detail.removeFirst(path.count + 2) }  // zlib names the file too
      throw DatasetError.corruptCompressedData(path: path, line: line, detail: detail)
    }
    if !checkedHeader && count > 0 {
      checkedHeader = true
      try checkNotCutGzipHeader(UnsafeRawBufferPointer(start: base, count: Int(count)))
    }
    decompressedByteCount += Int(count)
    return Int(count)
  }

  /// zlib reads a file cut inside its 10-byte gzip header as plain bytes: refuse one that starts with
  /// the gzip magic (1F 8B) but that zlib did not decompress.
  private func checkNotCutGzipHeader(_ first: UnsafeRawBufferPointer) throws {
    guard !isCompressed, first[0] == 0x1F, first.count == 1 || first[1] == 0x8B else { return }
    throw DatasetError.truncatedGzipHeader(path: path, byteCount: fileByteCount)
  }
}
