import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Reading that only ever touches regular files: a FIFO, a device, a directory or a symlink loop is
/// refused by name before anything is opened, so a read can neither block for ever nor stream without
/// end, and a size limit is checked against the file's length before its bytes are read.
public enum RegularFile {
  /// The byte count of the regular file at `path`.
  ///
  /// - Throws: ``FileAccessError`` saying what is there when it is absent or not a regular file.
  public static func byteCount(at path: String) throws(FileAccessError) -> Int {
    switch FileKind.of(path) {
    case .regularFile(let byteCount): return byteCount
    case let other: throw FileAccessError(path: path, reason: other.phrase)
    }
  }

  /// Throws unless `path` names a regular file that can be opened for reading (for readers, such as C
  /// libraries and gzip, that open the path themselves); returns its byte count.
  @discardableResult
  public static func requireReadable(_ path: String) throws(FileAccessError) -> Int {
    let count = try byteCount(at: path)
    guard access(path, R_OK) == 0 else {
      throw FileAccessError(path: path, reason: String(cString: strerror(errno)))
    }
    return count
  }

  /// The whole contents of the regular file at `url`.
  ///
  /// - Parameters:
  ///   - maximumByteCount: files longer than this are refused before reading (default: no limit).
  ///   - mapped: whether to memory-map the file instead of copying it.
  /// - Throws: ``FileAccessError`` naming the path: absent, not a regular file, too large, unreadable.
  public static func contents(
    of url: URL, maximumByteCount: Int = .max, mapped: Bool = false
  ) throws(FileAccessError) -> Data {
    let path = url.path
    let byteCount = try requireReadable(path)
    guard byteCount <= maximumByteCount else {
      throw FileAccessError(
        path: path, reason: "\(byteCount) bytes, more than the \(maximumByteCount)-byte limit for this file")
    }
    do {
      return try Data(contentsOf: url, options: mapped ? .alwaysMapped : [])
    } catch {
      throw FileAccessError(path: path, reason: describe(error))
    }
  }

  /// The contents of the regular text file at `url`, at most `maximumByteCount` bytes of UTF-8.
  public static func text(of url: URL, maximumByteCount: Int = 64 << 20) throws(FileAccessError) -> String {
    let data = try contents(of: url, maximumByteCount: maximumByteCount)
    guard let text = String(data: data, encoding: .utf8) else {
      throw FileAccessError(path: url.path, reason: "not UTF-8 text")
    }
    return text
  }

  /// The first `count` bytes (fewer when the file is shorter) of the regular file at `url`.
  public static func head(of url: URL, count: Int) throws(FileAccessError) -> Data {
    let path = url.path
    _ = try byteCount(at: path)
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      return try handle.read(upToCount: count) ?? Data()
    } catch {
      throw FileAccessError(path: path, reason: describe(error))
    }
  }

  /// The system's reason inside a Foundation error, without the `NSCocoaErrorDomain` wrapping.
  public static func describe(_ error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
      if underlying.domain == NSPOSIXErrorDomain, let code = Int32(exactly: underlying.code) {
        return String(cString: strerror(code))
      }
      return underlying.localizedDescription
    }
    if nsError.domain == NSPOSIXErrorDomain, let code = Int32(exactly: nsError.code) {
      return String(cString: strerror(code))
    }
    return nsError.localizedDescription
  }
}
