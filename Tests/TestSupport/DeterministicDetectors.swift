import EfficientNetDetection

/// Detectors with ``DeterministicWeights`` (batch norms and fusion weights randomized), for tests
/// that need a detector's exact behaviour but no trained weights.
public enum DeterministicDetectors {
  /// The detector `name` with `classCount` classes at `height`×`width`.
  public static func detector(_ name: String, height: Int, width: Int, classCount: Int = 4) throws
    -> EfficientDet
  {
    var configuration = try DetectorRegistry.configuration(named: name)
    configuration.classCount = classCount
    configuration.inputHeight = height
    configuration.inputWidth = width
    let layout = try DetectorLayout(configuration)
    let tensors = DeterministicWeights.tensors(layout.parameters.map { ($0.name, $0.shape) })
    return try EfficientDet(configuration: configuration, tensors: tensors, source: name)
  }
}
