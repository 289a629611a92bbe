/// Command-line arguments of a benchmark: `--name value` options with positive integer values, then
/// positional arguments (files or folders).
public struct BenchmarkArguments {
  /// Every option's value: the defaults, overridden by what the command line gave.
  public private(set) var options: [String: Int]
  /// The arguments after the options.
  public private(set) var positional: [String]

  /// Parses `arguments` (without the program name); exits with a message naming the
  /// problem when an option is unknown or its value is not a positive integer.
  public init(_ arguments: [String], defaults: [String: Int], usage: String) {
    options = defaults
    positional = []
    var remaining = arguments[...]
    while let first = remaining.first, first.hasPrefix("--") {
      remaining = remaining.dropFirst()
      let name = String(first.dropFirst(2))
      guard defaults[name] != nil else { exitWithUsageError("unknown option \(first)\n\(usage)") }
      guard let value = remaining.first.flatMap(Int.init), value > 0 else {
        exitWithUsageError("\(first) needs a positive integer\n\(usage)")
      }
      remaining = remaining.dropFirst()
      options[name] = value
    }
    positional = Array(remaining)
    if positional.isEmpty { exitWithUsageError("no input given\n\(usage)") }
  }

  /// The value of option `name` (one of the defaults' names).
  public subscript(name: String) -> Int {
    guard let value = options[name] else { exitWithUsageError("no option --\(name)") }
    return value
  }
}
