/// One concrete block of a resolved architecture: every channel count after scaling.
public struct ResolvedBlock: Equatable, Sendable {
  /// The block type.
  public var kind: BlockKind
  /// Index of the stage (0-based) and of the block within it.
  public var stage: Int, indexInStage: Int
  /// Index of the block over the whole network (0-based).
  public var globalIndex: Int
  /// Input and output channels.
  public var inputChannels: Int, outputChannels: Int
  /// Channels after the 1×1 expansion (equal to `inputChannels` for `ds` blocks).
  public var expandedChannels: Int
  /// Squeeze-and-excitation reduced channels; 0 when the block has no SE.
  public var squeezeChannels: Int
  /// Depthwise kernel size and stride.
  public var kernelSize: Int, stride: Int
  /// This block's stochastic-depth rate (training only).
  public var dropConnectRate: Double

  /// Whether the block adds its input to its output (stride 1 and same channels).
  public var hasResidual: Bool { stride == 1 && inputChannels == outputChannels }
  /// Whether the block has a 1×1 expansion convolution.
  public var hasExpansion: Bool { kind == .invertedResidual }
  /// Whether the block has squeeze-and-excitation.
  public var hasSqueezeExcitation: Bool { squeezeChannels > 0 }
}

/// A configuration resolved into concrete layers: what gets built, counted and loaded.
public struct Architecture: Equatable, Sendable {
  /// The configuration this was resolved from.
  public var configuration: Configuration
  /// Stem output channels (after scaling).
  public var stemChannels: Int
  /// The blocks, stage by stage.
  public var stages: [[ResolvedBlock]]
  /// Head 1×1 convolution output channels (the pooled feature width).
  public var headChannels: Int
  /// The stage indices whose outputs are the multi-scale features (strides 2, 4, 8, 16, 32 for B0).
  public var featureStages: [Int]
  /// The stride of each feature stage's output relative to the input.
  public var featureStrides: [Int]

  /// Every block in order.
  public var blocks: [ResolvedBlock] { stages.flatMap { $0 } }
  /// The channels of each multi-scale feature map.
  public var featureChannels: [Int] { featureStages.map { stages[$0].last!.outputChannels } }
}

extension Configuration {
  /// Applies width and depth scaling to the block table and resolves every channel count.
  public func resolve() throws -> Architecture {
    try validate()
    let divisor = channelDivisor
    let stem =
      fixStemAndHead
      ? stemChannels : ScalingRules.roundChannels(stemChannels, multiplier: widthMultiplier, divisor: divisor)
    let head =
      fixStemAndHead
      ? headChannels : ScalingRules.roundChannels(headChannels, multiplier: widthMultiplier, divisor: divisor)
    var repeats = blocks.map { ScalingRules.roundRepeats($0.repeats, multiplier: depthMultiplier) }
    if fixFirstAndLastRepeats {
      repeats[0] = blocks[0].repeats
      repeats[repeats.count - 1] = blocks[blocks.count - 1].repeats
    }
    let total = repeats.reduce(0, +)
    try ArchitectureLimits.check(
      total, in: 1...ArchitectureLimits.maximumBlockCount, "block count after depth scaling")
    let channelLimit = 1...ArchitectureLimits.maximumChannels
    try ArchitectureLimits.check(stem, in: channelLimit, "stem channels after width scaling")
    try ArchitectureLimits.check(head, in: channelLimit, "head channels after width scaling")
    var stages: [[ResolvedBlock]] = []
    var channels = stem
    var global = 0
    for (stageIndex, arguments) in blocks.enumerated() {
      let output = ScalingRules.roundChannels(
        arguments.outputChannels, multiplier: widthMultiplier, divisor: divisor)
      var stage: [ResolvedBlock] = []
      for index in 0..<repeats[stageIndex] {
        let expanded = arguments.kind == .depthwiseSeparable ? channels : channels * arguments.expansionRatio
        let squeeze =
          arguments.squeezeExcitationRatio > 0
          ? max(1, Int((Double(channels) * arguments.squeezeExcitationRatio).rounded())) : 0
        stage.append(
          ResolvedBlock(
            kind: arguments.kind, stage: stageIndex, indexInStage: index, globalIndex: global,
            inputChannels: channels, outputChannels: output, expandedChannels: expanded,
            squeezeChannels: squeeze, kernelSize: arguments.kernelSize,
            stride: index == 0 ? arguments.stride : 1,
            dropConnectRate: dropConnectRate * Double(global) / Double(total)))
        channels = output
        global += 1
      }
      stages.append(stage)
    }
    // Every layer's width, as built (the validated table and multipliers keep these products far
    // from overflow, and the block count was checked before the stages were built).
    for block in stages.joined() {
      let name = "block \(block.stage).\(block.indexInStage) after width scaling"
      try ArchitectureLimits.check(block.expandedChannels, in: channelLimit, "expanded channels of \(name)")
      try ArchitectureLimits.check(block.outputChannels, in: channelLimit, "output channels of \(name)")
    }
    // Feature taps: the last stage before each change of stride, and the last stage (timm's rule).
    var featureStages: [Int] = []
    var featureStrides: [Int] = []
    var stride = 2
    for index in stages.indices {
      stride *= blocks[index].stride
      let nextStride = index + 1 < blocks.count ? blocks[index + 1].stride : 2
      if nextStride > 1 {
        featureStages.append(index)
        featureStrides.append(stride)
      }
    }
    return Architecture(
      configuration: self, stemChannels: stem, stages: stages, headChannels: head,
      featureStages: featureStages, featureStrides: featureStrides)
  }
}
