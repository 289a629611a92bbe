/// A layer's module paths in one checkpoint scheme.
public struct LayerNames: Equatable, Sendable {
  /// The convolution or linear module, e.g. `blocks.1.0.conv_dw`.
  public var module: String
  /// The batch norm after it, e.g. `blocks.1.0.bn2`; nil when none follows.
  public var normalization: String?

  /// Names for a module and the batch norm after it (nil for none).
  public init(module: String, normalization: String? = nil) {
    self.module = module
    self.normalization = normalization
  }
}

/// The module paths of the three PyTorch EfficientNet implementations, built from the structure
/// (never parsed back from a name).
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
extension NetworkLayout {
  static func topLevelNames(_ role: LayerRole, stageCount: Int) -> [CheckpointNaming: LayerNames] {
    switch role {
    case .stem:
      return [
        .timm: LayerNames(module: "conv_stem", normalization: "bn1"),
        .torchvision: LayerNames(module: "features.0.0", normalization: "features.0.1"),
        .lukemelas: LayerNames(module: "_conv_stem", normalization: "_bn0"),
      ]
    case .head:
      let head = "features.\(stageCount + 1)"
      return [
        .timm: LayerNames(module: "conv_head", normalization: "bn2"),
        .torchvision: LayerNames(module: head + ".0", normalization: head + ".1"),
        .lukemelas: LayerNames(module: "_conv_head", normalization: "_bn1"),
      ]
    case .classifier:
      return [
        .timm: LayerNames(module: "classifier"),
        .torchvision: LayerNames(module: "classifier.1"),
        .lukemelas: LayerNames(module: "_fc"),
      ]
    default: preconditionFailure("\(role) is a block layer")
    }
  }

  static func blockNames(_ block: ResolvedBlock) -> [CheckpointNaming: BlockNames] {
    let timm = "blocks.\(block.stage).\(block.indexInStage)"
    let torchvision = "features.\(block.stage + 1).\(block.indexInStage)"
    let lukemelas = "_blocks.\(block.globalIndex)"
    let squeezes = block.hasSqueezeExcitation
    return [
      .timm: BlockNames(module: timm, squeezeExcitation: squeezes ? timm + ".se" : nil),
      .torchvision: BlockNames(
        module: torchvision,
        squeezeExcitation: squeezes ? torchvision + ".block.\(block.hasExpansion ? 2 : 1)" : nil),
      .lukemelas: BlockNames(module: lukemelas, squeezeExcitation: nil),
    ]
  }

  static func blockLayerNames(_ role: LayerRole, _ block: BlockLayout) -> [CheckpointNaming: LayerNames] {
    let expands = block.expansion != nil
    let timm = block.names[.timm]!.module
    let torchvision = block.names[.torchvision]!.module + ".block."
    let lukemelas = block.names[.lukemelas]!.module + "."
    // torchvision numbers a block's layers in order: expansion, depthwise, SE (when present), projection.
    let depthwiseIndex = expands ? 1 : 0
    let squeezeIndex = depthwiseIndex + 1
    let projectionIndex = depthwiseIndex + (block.squeezeReduce != nil ? 2 : 1)
    func numbered(_ index: Int) -> LayerNames {
      LayerNames(module: torchvision + "\(index).0", normalization: torchvision + "\(index).1")
    }
    switch role {
    case .expansion:
      return [
        .timm: LayerNames(module: timm + ".conv_pw", normalization: timm + ".bn1"),
        .torchvision: numbered(0),
        .lukemelas: LayerNames(module: lukemelas + "_expand_conv", normalization: lukemelas + "_bn0"),
      ]
    case .depthwise:
      return [
        .timm: LayerNames(module: timm + ".conv_dw", normalization: timm + (expands ? ".bn2" : ".bn1")),
        .torchvision: numbered(depthwiseIndex),
        .lukemelas: LayerNames(module: lukemelas + "_depthwise_conv", normalization: lukemelas + "_bn1"),
      ]
    case .squeezeReduce:
      return [
        .timm: LayerNames(module: timm + ".se.conv_reduce"),
        .torchvision: LayerNames(module: torchvision + "\(squeezeIndex).fc1"),
        .lukemelas: LayerNames(module: lukemelas + "_se_reduce"),
      ]
    case .squeezeExpand:
      return [
        .timm: LayerNames(module: timm + ".se.conv_expand"),
        .torchvision: LayerNames(module: torchvision + "\(squeezeIndex).fc2"),
        .lukemelas: LayerNames(module: lukemelas + "_se_expand"),
      ]
    case .projection:
      return [
        .timm: LayerNames(
          module: timm + (expands ? ".conv_pwl" : ".conv_pw"),
          normalization: timm + (expands ? ".bn3" : ".bn2")),
        .torchvision: numbered(projectionIndex),
        .lukemelas: LayerNames(module: lukemelas + "_project_conv", normalization: lukemelas + "_bn2"),
      ]
    case .stem, .head, .classifier: preconditionFailure("\(role) is not a block layer")
    }
  }
}
