import ArgumentParser

/// The `efficientnet` command-line tool.
@main
struct EfficientNetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "efficientnet",
    abstract: "EfficientNet in Swift: build, count and evaluate any EfficientNet on the CPU.",
    subcommands: [
      BenchCommand.self, ClassifyCommand.self, ConvertCommand.self, EmbedCommand.self, EvaluateCommand.self,
      ExplainCommand.self, InfoCommand.self,
      RunCommand.self, SearchCommand.self, TrainCommand.self,
    ])

  /// Parses the normalized arguments (see ``ArgumentNormalizing``) and runs the chosen command.
  static func main() {
    do {
      main(try ArgumentNormalizing.normalize(Array(CommandLine.arguments.dropFirst())))
    } catch {
      exit(withError: error)
    }
  }
}

/// An error found while a command runs (after its flags parsed): printed as `Error: message`.
struct CommandError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) { self.description = description }
}
