import EfficientNetModels

/// Classifiers with ``DeterministicWeights`` (batch norms no identities), for tests that compare two
/// executors of the same network.
public enum DeterministicClassifiers {
  /// `configuration` with deterministic weights.
  public static func model(_ configuration: Configuration) throws -> EfficientNet {
    let architecture = try configuration.resolve()
    return try EfficientNet(
      architecture: architecture,
      tensors: DeterministicWeights.tensors(architecture.parameterSpecs().map { ($0.name, $0.shape) }))
  }
}
