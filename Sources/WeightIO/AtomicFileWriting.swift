import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Writes `chunks` one after another to a new temporary file beside `url`, flushes it to disk, and
/// renames it over `url`. On any failure the temporary file is removed and `url` is left untouched.
///
/// - Throws: ``WeightIOError/writeFailed(destination:reason:)`` naming `url` and the system's reason.
func writeAtomically(_ chunks: [Data], to url: URL) throws {
  let destination = url.path
  let folder = url.deletingLastPathComponent().path
  let temporary = url.deletingLastPathComponent()
    .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
  func failure(_ what: String) -> WeightIOError {
    .writeFailed(destination: destination, reason: "\(what): \(String(cString: strerror(errno)))")
  }

  let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
  guard descriptor >= 0 else {
    throw failure("cannot create a temporary file in \(folder)")
  }
  var closed = false
  var renamed = false
  defer {
    if !closed { _ = close(descriptor) }
    if !renamed { _ = unlink(temporary) }
  }

  for chunk in chunks {
    try chunk.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
      guard let start = bytes.baseAddress else { return }
      var written = 0
      while written < bytes.count {
        let result = write(descriptor, start + written, bytes.count - written)
        if result < 0 {
          if errno == EINTR { continue }
          throw failure("cannot write \(temporary)")
        }
        written += result
      }
    }
  }
  guard fsync(descriptor) == 0 else { throw failure("cannot flush \(temporary) to disk") }
  closed = true
  guard close(descriptor) == 0 else { throw failure("cannot close \(temporary)") }
  guard rename(temporary, destination) == 0 else {
    throw failure("cannot rename the temporary file over the destination")
  }
  renamed = true
}
