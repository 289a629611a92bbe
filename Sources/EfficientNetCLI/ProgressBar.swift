import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
final class ProgressBar {
  private var total: Int
  private var label: String
  private let enabled: Bool
  private var done = 0
  private var start = Date()
  private var lastDraw = Date.distantPast

  init(total: Int, label: String, enabled: Bool = true) {
    self.total = total
    self.label = label
    self.enabled = enabled && isatty(STDERR_FILENO) != 0
  }

  /// Counts one more item done and redraws (at most ten times a second).
  func advance(by count: Int = 1, detail: String = "") {
    done += count
    guard enabled else { return }
    let now = Date()
    if now.timeIntervalSince(lastDraw) < 0.1 && done < total { return }
    lastDraw = now
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = 30
    let filled = Int(fraction * Double(width))
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let remaining = rate > 0 ? Double(total - done) / rate : 0
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    let line = String(
      format: "\r%@ [%@] %d/%d %.1f/s ETA %@ %@", label, bar, done, total, rate, Self.duration(remaining),
      detail)
    FileHandle.standardError.write(Data(line.utf8))
  }

  /// Shows `done` of `total` with a label and detail (for bars whose total changes, e.g. per epoch).
  func set(done: Int, total: Int, label: String, detail: String) {
    if done < self.done { start = Date() }
    self.done = done
    self.total = total
    self.label = label
    advance(by: 0, detail: detail)
  }

  /// Erases the bar so a result line can be printed.
  func clearLine() {
    guard enabled, done > 0 else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }

  /// Ends the bar's line.
  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }

  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 3600
      ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
      : String(format: "%d:%02d", total / 60, total % 60)
  }
}
