import ArgumentParser
import Foundation

/// The loop `classify` and `detect` share: each file in turn under a progress bar; a file that fails
/// is reported and skipped (a ``CommandError`` stops the run); a summary with the rate at the end;
/// exit status 1 when any failed.
enum ImageFileLoop {
  /// Runs `body` on every file; `verb` names the work in the summary ("classified", "detected in").
  static func run(_ files: [URL], label: String, verb: String, _ body: (URL) throws -> String) throws {
    let progress = ProgressBar(total: files.count, label: label, enabled: files.count > 1)
    var failures = 0
    let start = Date()
    for file in files {
      do {
        let text = try body(file)
        progress.clearLine()
        print(text)
        // Results reach standard output before anything standard error says next (the summary, a
        // failure), so the two stay in order when they share a terminal, a pipe or a file.
        fflush(stdout)
      } catch let error as CommandError {
        progress.clearLine()
        throw error
      } catch {
        failures += 1
        progress.clearLine()
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      }
      progress.advance()
    }
    progress.finish()
    let seconds = Date().timeIntervalSince(start)
    if files.count > 1 || failures > 0 {
      let rate = seconds > 0 ? Double(files.count) / seconds : 0
      let summary =
        "\(verb) \(files.count - failures) of \(files.count) images in "
        + String(format: "%.2f s (%.1f images/s)", seconds, rate)
        + (failures > 0 ? "; \(failures) failed" : "")
      FileHandle.standardError.write(Data((summary + "\n").utf8))
    }
    if failures > 0 { throw ExitCode(1) }
  }
}
