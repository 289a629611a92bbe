import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive advisory lock (`flock`) on a file beside a download, so that two processes fetching
/// the same entry do not write one partial file at once: the second waits, then finds it cached.
final class DownloadLock {
  private var descriptor: Int32

  /// Opens (creating) `url` and waits for the lock.
  ///
  /// - Throws: ``HubError/cacheUnwritable(path:reason:)`` when the file cannot be opened.
  init(_ url: URL) throws {
    descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw HubError.cacheUnwritable(path: url.path, reason: String(cString: strerror(errno)))
    }
    while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
  }

  /// Releases the lock (also done when the process ends).
  func release() {
    guard descriptor >= 0 else { return }
    _ = flock(descriptor, LOCK_UN)
    _ = close(descriptor)
    descriptor = -1
  }

  deinit { release() }
}
