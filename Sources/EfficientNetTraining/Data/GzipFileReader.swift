import CImageCodecs

/// Reads a gzip-compressed or plain file in chunks (zlib, through the `gzr_*` shim).
final class GzipFileReader {
  /// The path, for messages.
  let path: String
  private let reader: OpaquePointer

  /// Opens `path`.
  ///
  /// - Throws: `DatasetError.missingPath` or `.unreadable` naming the file.
  init(path: String) throws {
    self.path = path
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
  /// - Throws: `DatasetError.corruptCompressedData` (corrupt, bad checksum, cut short) naming the file.
  func read(into buffer: UnsafeMutableRawBufferPointer, line: Int) throws -> Int {
    guard let base = buffer.baseAddress else { return 0 }
    let count = gzr_read(reader, base, buffer.count)
    if count < 0 {
      var detail = String(cString: gzr_message(reader))
      if detail.hasPrefix("\(path): ") { detail.removeFirst(path.count + 2) }  // zlib names the file too
      throw DatasetError.corruptCompressedData(path: path, line: line, detail: detail)
    }
    return Int(count)
  }
}
