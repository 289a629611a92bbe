/// A checkpoint whose names or shapes do not fit an EfficientNet. Every description names the file.
public enum CheckpointMappingError: Error, Equatable, CustomStringConvertible {
  /// The names follow none of timm's, torchvision's or lukemelas's schemes.
  case unknownNaming(source: String, sampleNames: [String])
  /// A tensor the architecture has no place for.
  case unexpectedTensor(source: String, name: String, naming: CheckpointNaming)
  /// A tensor the architecture needs is absent (named in the checkpoint's scheme and in timm's).
  case missingTensor(source: String, name: String, timmName: String, expectedShape: [Int])
  /// A tensor's shape differs from the architecture's.
  case shapeMismatch(source: String, name: String, timmName: String, expected: [Int], found: [Int])
  /// No candidate variant has exactly the checkpoint's tensors; `closest` says why the nearest fails.
  case noMatchingVariant(source: String, naming: CheckpointNaming, closest: String)

  /// A one-line message naming the file and what is wrong.
  public var description: String {
    switch self {
    case .unknownNaming(let source, let sampleNames):
      let sample = sampleNames.map { "'\($0)'" }.joined(separator: ", ")
      return "\(source): the tensor names (\(sample.isEmpty ? "none" : sample)…) follow none of timm's "
        + "(conv_stem, blocks.*), torchvision's (features.*) or lukemelas's (_conv_stem, _blocks.*) schemes"
    case .unexpectedTensor(let source, let name, let naming):
      return
        "\(source): unexpected tensor '\(name)' (\(naming.rawValue) names): the model has no such parameter"
    case .missingTensor(let source, let name, let timmName, let shape):
      let alias = name == timmName ? "" : " (timm '\(timmName)')"
      return "\(source): missing tensor '\(name)'\(alias); the model needs shape \(shape)"
    case .shapeMismatch(let source, let name, let timmName, let expected, let found):
      let alias = name == timmName ? "" : " (timm '\(timmName)')"
      return "\(source): tensor '\(name)'\(alias) has shape \(found) but the model needs \(expected)"
    case .noMatchingVariant(let source, let naming, let closest):
      return "\(source): no named EfficientNet has exactly this checkpoint's tensors (\(naming.rawValue) "
        + "names); closest: \(closest). Pass the model name explicitly"
    }
  }
}
