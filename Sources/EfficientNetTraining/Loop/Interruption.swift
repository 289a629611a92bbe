import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that the training loop checks after each step,
/// so it can finish the step, write a checkpoint and exit cleanly. A second Ctrl-C exits at once.
public enum Interruption {
  private static let requested = Atomic<Int>(0)

  /// Whether an interruption has been requested since ``install()``.
  public static var isRequested: Bool { requested.load(ordering: .relaxed) > 0 }

  /// Installs the handlers (idempotent).
  public static func install() {
    requested.store(0, ordering: .relaxed)
    signal(SIGINT, interruptionHandler)
    signal(SIGTERM, interruptionHandler)
  }

  /// Restores the default handlers.
  public static func uninstall() {
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }

  /// Requests an interruption as a signal would (for tests and embedding applications).
  public static func request() {
    requested.add(1, ordering: .relaxed)
  }

  fileprivate static func signalled() {
    if requested.add(1, ordering: .relaxed).newValue > 1 {
      // Second interrupt: the user insists; leave now (the last checkpoint on disk is intact).
      _exit(130)
    }
  }
}

private func interruptionHandler(_ signalNumber: Int32) {
  Interruption.signalled()
}
