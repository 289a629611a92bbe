import Foundation

/// Rewrites the raw arguments before they are parsed, so that two things a user types mean what they
/// mean: a negative number after an option is that option's value (`--lr -1` reaches the range check
/// that says what `--lr` accepts, instead of "missing value"), and a lone word that starts with one dash
/// and names a file (`-dash.png`) is an error that says how to pass it, instead of a run of short flags
/// that ends in `-h` and prints help with status 0.
enum ArgumentNormalizing {
  /// The arguments with each `--option -3` joined into `--option=-3`.
  ///
  /// - Throws: ``CommandError`` for a single-dash word that names an existing file.
  static func normalize(_ arguments: [String]) throws -> [String] {
    var result: [String] = []
    var afterTerminator = false
    for argument in arguments {
      if afterTerminator {
        result.append(argument)
        continue
      }
      if argument == "--" { afterTerminator = true }
      if isNegativeNumber(argument), let previous = result.last, previous.hasPrefix("--"),
        !previous.contains("="), previous != "--"
      {
        result[result.count - 1] = previous + "=" + argument
        continue
      }
      if argument.hasPrefix("-"), !argument.hasPrefix("--"), argument.count > 2,
        FileManager.default.fileExists(atPath: argument)
      {
        throw CommandError(
          "\(argument): a file name that starts with '-' reads as options; write ./\(argument) or put -- before it"
        )
      }
      result.append(argument)
    }
    return result
  }

  /// Whether `text` is a number with a leading minus: `-3`, `-0.5`, `-1e-3`, `-.5`, `-inf`, `-nan`.
  static func isNegativeNumber(_ text: String) -> Bool {
    guard text.hasPrefix("-"), text.count > 1 else { return false }
    let rest = text.dropFirst()
    if ["inf", "infinity", "nan"].contains(rest.lowercased()) { return true }
    return Double(text) != nil
  }
}
