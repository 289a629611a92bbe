/// The layers of one block, in execution order.
public struct BlockLayout: Equatable, Sendable {
  /// The block's channels, kernel, stride and stochastic-depth rate.
  public var block: ResolvedBlock
  /// The 1×1 expansion; nil for depthwise-separable blocks.
  public var expansion: NetworkLayer?
  /// The depthwise convolution.
  public var depthwise: NetworkLayer
  /// Squeeze-and-excitation's reduce and expand layers; nil without SE.
  public var squeezeExcitation: (reduce: NetworkLayer, expand: NetworkLayer)? {
    guard let squeezeReduce, let squeezeExpand else { return nil }
    return (squeezeReduce, squeezeExpand)
  }
  /// Squeeze-and-excitation's reducing layer.
  public var squeezeReduce: NetworkLayer?
  /// Squeeze-and-excitation's expanding layer.
  public var squeezeExpand: NetworkLayer?
  /// The 1×1 projection.
  public var projection: NetworkLayer
  /// The block's module paths (`blocks.S.I`, `features.S+1.I`, `_blocks.K`) and its SE module's.
  public var names: [CheckpointNaming: BlockNames]

  /// The block's position.
  public var position: BlockPosition { BlockPosition(block) }

  /// The block's layers in execution order (and timm's state-dict order).
  public var layers: [NetworkLayer] {
    [expansion, depthwise, squeezeReduce, squeezeExpand, projection].compactMap { $0 }
  }
}

/// Module paths of a block as a whole (for profiles and messages).
public struct BlockNames: Equatable, Sendable {
  /// The block, e.g. `blocks.1.0`.
  public var module: String
  /// Its squeeze-and-excitation module, e.g. `blocks.1.0.se`; nil without SE, or where the scheme has
  /// no SE module (lukemelas names the two convolutions directly).
  public var squeezeExcitation: String?
}

/// The typed description of an EfficientNet, derived once from an ``Architecture``: every layer in
/// execution order with its identity, shapes and names in each checkpoint scheme.
///
/// This is the one place that knows which tensor belongs to which layer: parameter specifications,
/// checkpoint name mapping, the inference engine, the training graph, layer-wise learning rates,
/// Grad-CAM and the profilers all read it.
public struct NetworkLayout: Equatable, Sendable {
  /// The architecture described.
  public let architecture: Architecture
  /// The stem convolution.
  public let stem: NetworkLayer
  /// The blocks in order.
  public let blocks: [BlockLayout]
  /// The head convolution.
  public let head: NetworkLayer
  /// The classifier; nil for a headless model.
  public let classifier: NetworkLayer?
  private let namesByLayer: [LayerIdentity: [CheckpointNaming: LayerNames]]

  /// Lays out `architecture`.
  public init(_ architecture: Architecture) {
    self.architecture = architecture
    let configuration = architecture.configuration
    stem = NetworkLayer(
      identity: LayerIdentity(.stem), operation: .convolution, inputChannels: configuration.inputChannels,
      outputChannels: architecture.stemChannels, kernelSize: 3, stride: 2, hasBias: false, isNormalized: true,
      activation: .model)
    blocks = architecture.blocks.map(NetworkLayout.blockLayout)
    head = NetworkLayer(
      identity: LayerIdentity(.head), operation: .pointwise,
      inputChannels: architecture.blocks.last?.outputChannels ?? architecture.stemChannels,
      outputChannels: architecture.headChannels, kernelSize: 1, stride: 1, hasBias: false, isNormalized: true,
      activation: .model)
    classifier =
      configuration.includeClassifier
      ? NetworkLayer(
        identity: LayerIdentity(.classifier), operation: .linear, inputChannels: architecture.headChannels,
        outputChannels: configuration.classCount, kernelSize: 1, stride: 1, hasBias: true,
        isNormalized: false, activation: .none)
      : nil
    var namesByLayer: [LayerIdentity: [CheckpointNaming: LayerNames]] = [:]
    for layer in [stem, head] + [classifier].compactMap({ $0 }) {
      namesByLayer[layer.identity] = NetworkLayout.topLevelNames(
        layer.role, stageCount: architecture.stages.count)
    }
    for block in blocks {
      for layer in block.layers {
        namesByLayer[layer.identity] = NetworkLayout.blockLayerNames(layer.role, block)
      }
    }
    self.namesByLayer = namesByLayer
  }

  /// Every layer in execution order: stem, each block's layers, head, classifier.
  public var layers: [NetworkLayer] {
    [stem] + blocks.flatMap(\.layers) + [head] + [classifier].compactMap { $0 }
  }

  /// The layer with `identity`, or nil when the network has none.
  public func layer(_ identity: LayerIdentity) -> NetworkLayer? {
    layers.first { $0.identity == identity }
  }

  /// The module paths of `layer` in `naming` (its convolution and, when normalized, its batch norm).
  public func names(of layer: LayerIdentity, in naming: CheckpointNaming) -> LayerNames {
    guard let names = namesByLayer[layer]?[naming] else { preconditionFailure("no layer \(layer)") }
    return names
  }

  /// Every tensor of the model in timm's state-dict order (without `num_batches_tracked`).
  public var parameterSpecs: [ParameterSpec] { layers.flatMap { parameters(of: $0) } }

  /// The tensors of `layer` in state-dict order, with timm's names.
  public func parameters(of layer: NetworkLayer) -> [ParameterSpec] {
    let names = names(of: layer.identity, in: .timm)
    var specs = [
      ParameterSpec(
        name: names.module + ParameterRole.convolutionWeight.parameterSuffix, shape: layer.weightShape,
        role: layer.operation == .linear ? .linearWeight : .convolutionWeight, layer: layer.identity)
    ]
    if layer.hasBias {
      specs.append(
        ParameterSpec(
          name: names.module + ParameterRole.bias.parameterSuffix, shape: [layer.outputChannels], role: .bias,
          layer: layer.identity))
    }
    if let normalization = names.normalization {
      for role in ParameterRole.normalizationRoles {
        specs.append(
          ParameterSpec(
            name: normalization + role.parameterSuffix, shape: [layer.outputChannels], role: role,
            layer: layer.identity))
      }
    }
    return specs
  }

  /// The name of one tensor of `layer` in `naming`.
  public func parameterName(
    _ role: ParameterRole, of layer: LayerIdentity, in naming: CheckpointNaming = .timm
  )
    -> String
  {
    let names = names(of: layer, in: naming)
    switch role {
    case .convolutionWeight, .linearWeight, .bias: return names.module + role.parameterSuffix
    case .batchNormWeight, .batchNormBias, .runningMean, .runningVariance:
      guard let normalization = names.normalization else { preconditionFailure("\(layer) has no batch norm") }
      return normalization + role.parameterSuffix
    }
  }

  private static func blockLayout(_ block: ResolvedBlock) -> BlockLayout {
    let position = BlockPosition(block)
    let channels = block.expandedChannels
    func layer(
      _ role: LayerRole, _ operation: LayerOperation, _ input: Int, _ output: Int, kernel: Int = 1,
      stride: Int = 1, bias: Bool = false, normalized: Bool = true, activation: LayerActivation = .model
    ) -> NetworkLayer {
      NetworkLayer(
        identity: LayerIdentity(role, in: position), operation: operation, inputChannels: input,
        outputChannels: output, kernelSize: kernel, stride: stride, hasBias: bias, isNormalized: normalized,
        activation: activation)
    }
    let squeezes = block.hasSqueezeExcitation
    return BlockLayout(
      block: block,
      expansion: block.hasExpansion ? layer(.expansion, .pointwise, block.inputChannels, channels) : nil,
      depthwise: layer(
        .depthwise, .depthwise, channels, channels, kernel: block.kernelSize, stride: block.stride),
      squeezeReduce: squeezes
        ? layer(.squeezeReduce, .pointwise, channels, block.squeezeChannels, bias: true, normalized: false)
        : nil,
      squeezeExpand: squeezes
        ? layer(
          .squeezeExpand, .pointwise, block.squeezeChannels, channels, bias: true, normalized: false,
          activation: .sigmoid)
        : nil,
      projection: layer(.projection, .pointwise, channels, block.outputChannels, activation: .none),
      names: blockNames(block))
  }
}
