/// Errors in matching a model with its weights or inputs.
public enum ModelError: Error, CustomStringConvertible, Equatable {
  /// The weights lack a tensor the model needs.
  case missingTensor(name: String, expectedShape: [Int], source: String)
  /// The weights hold a tensor the model does not have.
  case unexpectedTensor(name: String, shape: [Int], source: String)
  /// A tensor's shape differs from the model's.
  case shapeMismatch(name: String, expected: [Int], found: [Int], source: String)
  /// A tensor holds NaN or infinity.
  case nonFiniteValues(name: String, source: String)
  /// An input has the wrong shape.
  case invalidInput(name: String, reason: String)
  /// Finite weights and input produced a NaN or an infinity, first in the output of `layer`.
  case nonFiniteOutput(layer: String)

  public var description: String {
    switch self {
    case .missingTensor(let name, let shape, let source):
      return "\(source): missing tensor '\(name)' (the model needs shape \(shape))"
    case .unexpectedTensor(let name, let shape, let source):
      return "\(source): unexpected tensor '\(name)' of shape \(shape) (the model has no such parameter)"
    case .shapeMismatch(let name, let expected, let found, let source):
      return "\(source): tensor '\(name)' has shape \(found) but the model needs \(expected)"
    case .nonFiniteValues(let name, let source):
      return "\(source): tensor '\(name)' holds NaN or infinite values"
    case .invalidInput(let name, let reason):
      return "input '\(name)': \(reason)"
    case .nonFiniteOutput(let layer):
      return
        "the network's activations overflowed to NaN or infinity, first in the output of layer '\(layer)' "
        + "(the weights are finite but too large for float32 arithmetic)"
    }
  }
}

extension ModelError {
  /// The error for an input tensor holding NaN or infinite values.
  public static let nonFiniteInput = ModelError.invalidInput(
    name: "input", reason: "holds NaN or infinite values")

  /// Throws unless a model of `channels` input channels can take images (1 or 3 channels).
  public static func requireImageChannels(_ channels: Int) throws {
    guard channels == 1 || channels == 3 else {
      throw ModelError.invalidInput(
        name: "image", reason: "images feed 1- or 3-channel models; this one has \(channels)")
    }
  }
}
