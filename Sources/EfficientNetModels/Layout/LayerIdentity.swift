/// What a layer does in an EfficientNet.
public enum LayerRole: String, Sendable, CaseIterable, Codable {
  /// The k×k stride-2 convolution on the input (`conv_stem` + `bn1` in timm).
  case stem
  /// A block's 1×1 expansion (inverted-residual blocks only).
  case expansion
  /// A block's depthwise k×k convolution.
  case depthwise
  /// Squeeze-and-excitation's reducing 1×1 convolution (with bias, no batch norm).
  case squeezeReduce
  /// Squeeze-and-excitation's expanding 1×1 convolution (with bias, then a sigmoid gate).
  case squeezeExpand
  /// A block's 1×1 projection (batch norm, no activation).
  case projection
  /// The 1×1 head convolution after the last block (`conv_head` + `bn2`).
  case head
  /// The linear classifier on the pooled head features.
  case classifier
}

/// Where a block sits in the network.
public struct BlockPosition: Hashable, Sendable, Codable, Comparable {
  /// The stage, 0-based.
  public var stage: Int
  /// The block's index within its stage, 0-based.
  public var index: Int
  /// The block's index over the whole network, 0-based (lukemelas numbers blocks this way).
  public var globalIndex: Int

  /// The position of `block`.
  public init(_ block: ResolvedBlock) {
    stage = block.stage
    index = block.indexInStage
    globalIndex = block.globalIndex
  }

  public static func < (lhs: BlockPosition, rhs: BlockPosition) -> Bool { lhs.globalIndex < rhs.globalIndex }
}

/// A layer's typed identity: its role and, inside a block, the block's position.
public struct LayerIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
  /// What the layer does.
  public var role: LayerRole
  /// The block holding the layer; nil for the stem, head and classifier.
  public var block: BlockPosition?

  /// A layer outside the blocks (stem, head or classifier).
  public init(_ role: LayerRole) {
    precondition([.stem, .head, .classifier].contains(role), "\(role) layers belong to a block")
    self.role = role
    block = nil
  }

  /// A layer of a block.
  public init(_ role: LayerRole, in block: BlockPosition) {
    precondition(![.stem, .head, .classifier].contains(role), "\(role) is not a block layer")
    self.role = role
    self.block = block
  }

  /// `stem`, `head`, `classifier`, or `block S.I <role>` (names in a checkpoint scheme come from
  /// ``NetworkLayer/names(in:)``).
  public var description: String {
    guard let block else { return role.rawValue }
    return "block \(block.stage).\(block.index) \(role.rawValue)"
  }
}
