import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Writing that never destroys what it should not: the bytes go to a temporary file beside the
/// destination, are flushed to disk and renamed over it, and the destination must be absent or a
/// regular file. A device node, a FIFO, a directory or a symbolic link in its place is refused by name,
/// so `--output /dev/null` can never turn `/dev/null` into a regular file.
public enum AtomicFile {
  /// Throws unless `url` may be replaced: absent or a regular file, in a folder that exists.
  public static func requireReplaceable(_ url: URL) throws(FileAccessError) {
    let path = url.path
    switch FileKind.of(path, followingLinks: false) {
    case .absent, .regularFile: break
    case let other:
      throw FileAccessError(path: path, reason: "refusing to write over \(other.phrase)")
    }
    let folder = url.deletingLastPathComponent().path
    switch FileKind.of(folder) {
    case .directory: break
    case .absent: throw FileAccessError(path: path, reason: "the folder \(folder) does not exist")
    case let other: throw FileAccessError(path: path, reason: "its folder \(folder) is \(other.phrase)")
    }
  }

  /// Writes `text` as UTF-8 to `url` (see ``write(_:to:)-([Data],_)``).
  public static func write(_ text: String, to url: URL) throws(FileAccessError) {
    try write([Data(text.utf8)], to: url)
  }

  /// Writes `chunks` one after another to a new temporary file beside `url`, flushes it to disk, and
  /// renames it over `url`. On any failure the temporary file is removed and `url` is left untouched.
  ///
  /// - Throws: ``FileAccessError`` naming `url`: not replaceable, or the system's reason for a failed
  ///   create, write, flush or rename.
  public static func write(_ chunks: [Data], to url: URL) throws(FileAccessError) {
    try requireReplaceable(url)
    let destination = url.path
    let folder = url.deletingLastPathComponent().path
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
    func failure(_ what: String) -> FileAccessError {
      FileAccessError(path: destination, reason: "\(what): \(String(cString: strerror(errno)))")
    }

    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw failure("cannot create a temporary file in \(folder)") }
    var closed = false
    var renamed = false
    defer {
      if !closed { _ = close(descriptor) }
      if !renamed { _ = unlink(temporary) }
    }
    for chunk in chunks {
      let failed = chunk.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
        guard let start = bytes.baseAddress else { return false }
        var written = 0
        while written < bytes.count {
          let result = systemWrite(descriptor, start + written, bytes.count - written)
          if result < 0 {
            if errno == EINTR { continue }
            return true
          }
          written += result
        }
        return false
      }
      if failed { throw failure("cannot write \(temporary)") }
    }
    guard fsync(descriptor) == 0 else { throw failure("cannot flush \(temporary) to disk") }
    closed = true
    guard close(descriptor) == 0 else { throw failure("cannot close \(temporary)") }
    // Checked again just before the rename: something may have appeared there meanwhile.
    try requireReplaceable(url)
    guard rename(temporary, destination) == 0 else {
      throw failure("cannot rename the temporary file over the destination")
    }
    renamed = true
  }

  /// Removes temporary files this type left in `folder` (after a kill between create and rename);
  /// returns how many it removed.
  @discardableResult
  public static func removeLeftovers(in folder: URL) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    var removed = 0
    for name in names where name.hasPrefix(".") && name.hasSuffix(".partial") {
      if unlink(folder.appendingPathComponent(name).path) == 0 { removed += 1 }
    }
    return removed
  }
}

/// `write(2)`, named apart from ``AtomicFile/write(_:to:)-([Data],_)`` so the type's own methods do not
/// hide it.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}
