/// Errors in describing or building an architecture.
public enum ArchitectureError: Error, CustomStringConvertible, Equatable {
  /// A block string could not be decoded.
  case invalidBlockString(String, reason: String)
  /// A model name is not known.
  case unknownModel(String, known: [String])
  /// A configuration value is out of range.
  case invalidValue(name: String, value: String, reason: String)

  public var description: String {
    switch self {
    case .invalidBlockString(let text, let reason):
      return "invalid block string '\(text)': \(reason)"
    case .unknownModel(let name, let known):
      return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
    case .invalidValue(let name, let value, let reason):
      return "invalid \(name) \(value): \(reason)"
    }
  }
}
