import Foundation

/// Stops a benchmark whose command line is wrong: prints `message` to standard error and exits with
/// status 2 (no crash report).
public func exitWithUsageError(_ message: String) -> Never {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  exit(2)
}
