import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A process started with `posix_spawn` (not Foundation's `Process`, whose dispatch sources crashed
/// the test process once the child ended), standard error to a file the test reads, signalled and
/// reaped by hand.
final class SpawnedProcess {
  let pid: pid_t
  let errorFile: URL
  private var reaped: Int32?

  /// Starts `executable` with `arguments`, standard input from /dev/null, standard output discarded,
  /// standard error to `errorFile`.
  init(_ executable: String, _ arguments: [String], errorFile: URL) throws {
    self.errorFile = errorFile
    let script = "exec \"$@\" </dev/null >/dev/null 2>'\(errorFile.path)'"
    var argv = (["/bin/sh", "-c", script, "sh", executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    self.pid = pid
  }

  deinit {
    if reaped == nil {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
  }

  /// What the process wrote to standard error so far.
  var errorText: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

  /// Whether the process has not ended yet.
  var isRunning: Bool { poll() == nil }

  /// Sends `signal`.
  func send(_ signal: Int32) { kill(pid, signal) }

  /// Waits up to `seconds` for the process to end: its raw wait status, or nil if it still runs.
  func waitForExit(seconds: Double) async throws -> Int32? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let status = poll() { return status }
      try await Task.sleep(for: .milliseconds(20))
    }
    return poll()
  }

  private func poll() -> Int32? {
    if let reaped { return reaped }
    var status: Int32 = 0
    guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
    reaped = status
    return status
  }
}
