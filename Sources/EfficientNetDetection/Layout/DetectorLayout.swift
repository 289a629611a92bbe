import EfficientNetModels

/// The typed description of an EfficientDet, derived once from a ``DetectorConfiguration``: the
/// backbone's layers up to P5, the extra levels, every BiFPN node and both heads, each with its
/// shapes and effdet's state-dict names. Loaders, executors and counters all read it.
public struct DetectorLayout: Equatable, Sendable {
  /// The configuration described.
  public let configuration: DetectorConfiguration
  /// The backbone's layout (its head and classifier are not part of the detector).
  public let backbone: NetworkLayout
  /// The backbone stages whose outputs are P3, P4 and P5.
  public let backboneFeatureStages: [Int]
  /// P6 (and up) from the level below: `fpn.resample.{offset}`.
  public let extraLevels: [PyramidResampling]
  /// The BiFPN cells' graph (the same for every cell).
  public let graph: PyramidGraph
  /// The nodes of each cell, `[cell][node]`.
  public let cells: [[PyramidNodeLayout]]
  /// The class head (`class_net`).
  public let classHead: HeadLayout
  /// The box head (`box_net`).
  public let boxHead: HeadLayout

  /// The prefix of the backbone's tensors in effdet's state dict.
  public static let backbonePrefix = "backbone."

  /// Lays out `configuration`.
  public init(_ configuration: DetectorConfiguration) throws {
    try configuration.validate()
    self.configuration = configuration
    let architecture = try configuration.backbone.resolve()
    backbone = NetworkLayout(architecture)
    // The stride-8, -16 and -32 stage outputs.
    backboneFeatureStages = Array(architecture.featureStages.suffix(3))
    let channels = configuration.pyramidChannels
    let bias = configuration.hasRedundantBias
    var levelChannels = Dictionary(
      uniqueKeysWithValues: zip(
        3...5, backboneFeatureStages.map { architecture.stages[$0].last!.outputChannels }))
    var extras: [PyramidResampling] = []
    for level in 6...max(6, configuration.maximumLevel) where level <= configuration.maximumLevel {
      let offset = level - configuration.minimumLevel
      extras.append(
        PyramidResampling(
          module: "fpn.resample.\(offset)", source: level - 1, target: level,
          channels: levelChannels[level - 1]!,
          pyramidChannels: channels, hasBias: bias))
      levelChannels[level] = channels
    }
    extraLevels = extras
    let graph = PyramidGraph(levels: configuration.levels)
    self.graph = graph
    cells = (0..<configuration.pyramidCells).map { cell in
      graph.nodes.enumerated().map { index, node in
        let module = "fpn.cell.\(cell).fnode.\(index)"
        let resamplings = node.inputs.map { input in
          let source = graph.level(of: input)
          let inputChannels = cell == 0 && input < graph.levels.count ? levelChannels[source]! : channels
          return PyramidResampling(
            module: "\(module).combine.resample.\(input)", source: source, target: node.level,
            channels: inputChannels, pyramidChannels: channels, hasBias: bias)
        }
        let weights =
          configuration.fusion == .fastNormalized
          ? DetectorParameter(
            name: module + ".combine.edge_weights", shape: [node.inputs.count], role: .fusionWeights)
          : nil
        return PyramidNodeLayout(
          node: node, resamplings: resamplings, fusionWeights: weights,
          convolution: SeparableConvolution(
            module: module + ".after_combine.conv", inputChannels: channels, outputChannels: channels,
            hasBias: bias,
            levels: [node.level]),
          normalization: DetectorNormalization(
            module: module + ".after_combine.conv.bn", channels: channels, level: node.level))
      }
    }
    classHead = HeadLayout(
      module: "class_net", configuration: configuration, outputsPerAnchor: configuration.classCount)
    boxHead = HeadLayout(module: "box_net", configuration: configuration, outputsPerAnchor: 4)
  }

  /// The backbone's tensors (effdet's names: `backbone.` + timm's), up to the last block.
  public var backboneParameters: [DetectorParameter] {
    backbone.parameterSpecs.filter { $0.layer.role != .head && $0.layer.role != .classifier }.map { spec in
      let role: DetectorParameter.Role
      switch spec.role {
      case .convolutionWeight, .linearWeight, .batchNormWeight: role = .weight
      case .bias, .batchNormBias: role = .bias
      case .runningMean: role = .runningMean
      case .runningVariance: role = .runningVariance
      }
      return DetectorParameter(name: Self.backbonePrefix + spec.name, shape: spec.shape, role: role)
    }
  }

  /// Every tensor of the detector (without `num_batches_tracked`), in effdet's state-dict order.
  public var parameters: [DetectorParameter] {
    backboneParameters + extraLevels.flatMap(\.parameters) + cells.joined().flatMap(\.parameters)
      + classHead.parameters + boxHead.parameters
  }

  /// Every convolution outside the backbone, in execution order.
  public var pyramidAndHeadLayers: [DetectorLayer] {
    extraLevels.compactMap(\.convolution)
      + cells.joined().flatMap { node in node.resamplings.compactMap(\.convolution) + node.convolution.layers
      }
      + classHead.layers + boxHead.layers
  }
}
