import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// An exclusive claim on a run's output folder, held while a run writes there: a second run (or a
/// `--resume` of the same folder while the first still runs) is refused, naming the process that holds
/// it, instead of interleaving `metrics.jsonl` and overwriting checkpoints.
///
/// The claim is an advisory `flock` on `FOLDER/.lock`, which the system releases when the holder exits
/// however it exits (even by SIGKILL), so a stale lock never blocks the next run.
public final class RunFolderLock {
  /// The folder claimed.
  public let folder: URL
  private let descriptor: Int32

  /// Claims `folder`, creating it when needed.
  ///
  /// - Throws: ``TrainingError/cannotWrite(_:reason:)`` when the folder cannot be created or another
  ///   process holds it (its process id is named).
  public init(folder: URL) throws {
    self.folder = folder
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw TrainingError.cannotWrite(folder.path, reason: "cannot create the output folder")
    }
    let path = folder.appendingPathComponent(".lock").path
    let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard opened >= 0 else {
      throw TrainingError.cannotWrite(
        path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))")
    }
    guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
      var buffer = [UInt8](repeating: 0, count: 32)
      let count = pread(opened, &buffer, buffer.count, 0)
      close(opened)
      let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : "?"
      throw TrainingError.cannotWrite(
        folder.path,
        reason: "another run (process \(holder.trimmingCharacters(in: .whitespacesAndNewlines))) is writing "
          + "to this folder; wait for it to finish or choose another --output")
    }
    descriptor = opened
    let identity = Array("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    _ = pwrite(descriptor, identity, identity.count, 0)
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
