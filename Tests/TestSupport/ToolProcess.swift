import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How a run of the `efficientnet` binary ended, with what it printed and the most memory it held.
public struct ToolOutcome: Sendable {
  /// The exit status when it exited; nil when a signal ended it.
  public let exitStatus: Int32?
  /// The signal that ended it, when one did (a trap, an abort, or the deadline's SIGKILL).
  public let signal: Int32?
  /// Whether it was still running at the deadline and was killed.
  public let timedOut: Bool
  /// Its standard output.
  public let output: String
  /// Its standard error.
  public let error: String
  /// Its peak resident memory, in bytes (`ru_maxrss`). The spawn counts the spawning test process's
  /// own pages before the exec, so this is never below ``inheritedMemoryBytes``.
  public let peakMemoryBytes: Int
  /// The peak that a child which does nothing reports when spawned the same way (`/bin/true`).
  public var inheritedMemoryBytes: Int = 0
  /// Seconds from start to end.
  public let seconds: Double

  /// One line for failure messages: how it ended, its memory and the start of its standard error.
  public var summary: String {
    let ending =
      timedOut
      ? "killed at the deadline" : signal.map { "ended by signal \($0)" } ?? "exit \(exitStatus ?? -1)"
    return "\(ending), \(peakMemoryBytes >> 20) MiB peak, \(String(format: "%.1f", seconds)) s; stderr: "
      + String(error.prefix(600))
  }
}

/// The built `efficientnet` binary run as a hostile user would: standard input is `/dev/null`, output
/// goes to files (a chatty run never blocks on a pipe), a deadline kills a hang, and `wait4` reports
/// how the process ended (exit or signal) and its peak memory.
public enum ToolProcess {
  /// The binary, found beside the test bundle; skips the calling test when it is not there.
  public static var binary: URL {
    get throws {
      let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
      ].compactMap { $0?.appendingPathComponent("efficientnet") }
      guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
      else {
        throw XCTSkip("efficientnet binary not found beside the tests: \(candidates.map(\.path))")
      }
      return found
    }
  }

  /// Runs the binary with `arguments` in `workingDirectory` (the test's own when nil), killing it
  /// after `deadline` seconds.
  public static func run(
    _ arguments: [String], deadline: Double = 60, workingDirectory: URL? = nil
  ) throws -> ToolOutcome {
    let directory = workingDirectory?.path ?? FileManager.default.currentDirectoryPath
    var outcome = try spawn(executable: try binary.path, arguments, deadline: deadline, directory: directory)
    outcome.inheritedMemoryBytes = try spawn(executable: "/bin/true", [], deadline: 10, directory: directory)
      .peakMemoryBytes
    return outcome
  }

  private static func spawn(
    executable: String, _ arguments: [String], deadline: Double, directory: String
  ) throws -> ToolOutcome {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let outputPath = folder.appendingPathComponent("stdout").path
    let errorPath = folder.appendingPathComponent("stderr").path

    // A shell enters the folder and applies the redirections, then becomes the tool (exec).
    let script = "cd \"$1\" || exit 127; shift; exec \"$@\" </dev/null >'\(outputPath)' 2>'\(errorPath)'"
    let argv = ["/bin/sh", "-c", script, "sh", directory, executable] + arguments
    var cArguments = argv.map { strdup($0) } + [nil]
    defer { for pointer in cArguments { free(pointer) } }
    var pid: pid_t = 0
    let start = Date()
    let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &cArguments, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }

    var status: Int32 = 0
    var usage = rusage()
    var timedOut = false
    while true {
      let result = wait4(pid, &status, WNOHANG, &usage)
      if result == pid { break }
      if result < 0 && errno != EINTR { throw POSIXError(.ECHILD) }
      if Date().timeIntervalSince(start) > deadline, !timedOut {
        timedOut = true
        kill(pid, SIGKILL)
      }
      usleep(5_000)
    }
    let seconds = Date().timeIntervalSince(start)
    let exited = (status & 0x7f) == 0
    let read = { (path: String) in
      String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
    }
    #if canImport(Darwin)
      let peak = Int(usage.ru_maxrss)
    #else
      let peak = Int(usage.ru_maxrss) * 1024
    #endif
    return ToolOutcome(
      exitStatus: exited ? (status >> 8) & 0xff : nil, signal: exited ? nil : status & 0x7f,
      timedOut: timedOut, output: read(outputPath), error: read(errorPath), peakMemoryBytes: peak,
      seconds: seconds)
  }
}
