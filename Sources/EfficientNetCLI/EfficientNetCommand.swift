import ArgumentParser
import EfficientNetFiles
import Foundation

/// The `efficientnet` command-line tool.
@main
struct EfficientNetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "efficientnet",
    abstract:
      "EfficientNet in Swift: classify with pretrained weights, train and fine-tune, evaluate, explain, search and benchmark any EfficientNet; detect objects with EfficientDet; serve them over HTTP.",
    subcommands: [
      BenchCommand.self, ClassifyCommand.self, ConvertCommand.self, EmbedCommand.self, EvaluateCommand.self,
      DetectCommand.self, ExplainCommand.self, ExportCommand.self, InfoCommand.self,
      RunCommand.self, SearchCommand.self, ServeCommand.self, TrainCommand.self, WeightsCommand.self,
    ])

  /// Parses the normalized arguments (see ``ArgumentNormalizing``) and runs the chosen command.
  static func main() {
    do {
      var command = try parseAsRoot(
        try ArgumentNormalizing.normalize(Array(CommandLine.arguments.dropFirst())))
      try command.run()
    } catch {
      exit(withError: readable(error))
    }
  }
}

extension EfficientNetCommand {
  /// `error`, with a Foundation file error (which prints as an `NSCocoaErrorDomain` dump) turned into
  /// "PATH: reason".
  static func readable(_ error: Error) -> Error {
    let nsError = error as NSError
    guard nsError.domain == NSCocoaErrorDomain else { return error }
    let path =
      (nsError.userInfo[NSFilePathErrorKey] as? String) ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
    return CommandError((path.map { "\($0): " } ?? "") + RegularFile.describe(error))
  }
}

/// An error found while a command runs (after its flags parsed): printed as `Error: message`.
struct CommandError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) { self.description = description }
}
