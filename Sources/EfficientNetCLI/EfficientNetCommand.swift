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
}

/// An error found while a command runs (after its flags parsed): printed as `Error: message`.
struct CommandError: Error, CustomStringConvertible {
  var description: String

  init(_ description: String) { self.description = description }
}
