import Foundation
import XCTest

/// The built `efficientnet` binary, found beside the test bundle (SwiftPM builds both into one
/// folder), and a way to run it as a user would.
enum CLITool {
  /// The binary; skips the calling test when it is not there.
  static var url: URL {
    get throws {
      let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle(for: CLIToolAnchor.self).bundleURL.deletingLastPathComponent(),
      ].compactMap { $0?.appendingPathComponent("efficientnet") }
      guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
      else {
        throw XCTSkip("efficientnet binary not found beside the tests: \(candidates.map(\.path))")
      }
      return found
    }
  }

  /// Runs the tool to completion, with `environment` added to the test's own; returns its exit
  /// status, standard output and standard error.
  static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (
    status: Int32, output: String, error: String
  ) {
    let process = Process()
    process.executableURL = try url
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    // Standard error goes to a file, so a chatty tool can never block on a full pipe.
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cli-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self),
      String(decoding: errorData, as: UTF8.self)
    )
  }
}

/// A class in this bundle, to find the bundle by.
private final class CLIToolAnchor {}
