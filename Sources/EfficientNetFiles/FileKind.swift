import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// What a path names on disk, as `stat` (following links) or `lstat` (not following them) sees it.
public enum FileKind: Equatable, Sendable {
  /// Nothing is there.
  case absent
  /// A regular file of this many bytes.
  case regularFile(byteCount: Int)
  /// A directory.
  case directory
  /// A named pipe: reading it waits for a writer, perhaps for ever.
  case fifo
  /// A character device such as `/dev/zero` or a terminal.
  case characterDevice
  /// A block device such as a disk.
  case blockDevice
  /// A Unix-domain socket.
  case socket
  /// A symbolic link (only reported when links are not followed).
  case symbolicLink
  /// A chain of symbolic links that never ends.
  case symbolicLinkLoop
  /// The path cannot be examined; the system's reason.
  case inaccessible(reason: String)

  /// The kind of `path`; `followingLinks: false` reports a link itself rather than its target.
  public static func of(_ path: String, followingLinks: Bool = true) -> FileKind {
    var information = stat()
    let result = followingLinks ? stat(path, &information) : lstat(path, &information)
    guard result == 0 else {
      switch errno {
      case ENOENT, ENOTDIR: return .absent
      case ELOOP: return .symbolicLinkLoop
      default: return .inaccessible(reason: String(cString: strerror(errno)))
      }
    }
    return of(mode: information.st_mode, byteCount: Int(information.st_size))
  }

  /// The kind described by a `stat` mode and size.
  static func of(mode: mode_t, byteCount: Int) -> FileKind {
    switch mode & S_IFMT {
    case S_IFREG: return .regularFile(byteCount: byteCount)
    case S_IFDIR: return .directory
    case S_IFIFO: return .fifo
    case S_IFCHR: return .characterDevice
    case S_IFBLK: return .blockDevice
    case S_IFSOCK: return .socket
    case S_IFLNK: return .symbolicLink
    default: return .inaccessible(reason: "an unknown kind of file")
    }
  }

  /// A phrase for messages: "a directory", "a named pipe (FIFO)", "no such file".
  public var phrase: String {
    switch self {
    case .absent: return "no such file"
    case .regularFile: return "a regular file"
    case .directory: return "a directory, not a file"
    case .fifo: return "a named pipe (FIFO), not a regular file"
    case .characterDevice: return "a character device, not a regular file"
    case .blockDevice: return "a block device, not a regular file"
    case .socket: return "a socket, not a regular file"
    case .symbolicLink: return "a symbolic link"
    case .symbolicLinkLoop: return "a loop of symbolic links"
    case .inaccessible(let reason): return reason
    }
  }
}
