/// How one input reaches a BiFPN node (or an extra level): a 1×1 convolution and batch norm where
/// the channels differ, then max pooling down or nearest upsampling to the node's level.
public struct PyramidResampling: Equatable, Sendable {
  /// The level read.
  public var sourceLevel: Int
  /// The level written.
  public var targetLevel: Int
  /// The channel-matching convolution; nil when the channels already match.
  public var convolution: DetectorLayer?
  /// Its batch norm; nil with no convolution.
  public var normalization: DetectorNormalization?

  /// The resampling from `source` (of `channels`) to `target` with `pyramidChannels` out; the
  /// convolution lives under `module` (`….conv.conv`, `….conv.bn`).
  init(module: String, source: Int, target: Int, channels: Int, pyramidChannels: Int, hasBias: Bool) {
    sourceLevel = source
    targetLevel = target
    guard channels != pyramidChannels else { return }
    convolution = DetectorLayer(
      module: module + ".conv.conv", operation: .pointwise, inputChannels: channels,
      outputChannels: pyramidChannels, hasBias: hasBias, levels: [source])
    normalization = DetectorNormalization(
      module: module + ".conv.bn", channels: pyramidChannels, level: source)
  }

  /// Its tensors in state-dict order.
  public var parameters: [DetectorParameter] {
    (convolution?.parameters ?? []) + (normalization?.parameters ?? [])
  }
}

/// One BiFPN node as built: its inputs' resamplings, fusion weights, and the separable convolution
/// and batch norm after the fusion (swish or ReLU6 first).
public struct PyramidNodeLayout: Equatable, Sendable {
  /// The node in the cell's graph.
  public var node: PyramidNode
  /// One resampling per input, in the node's input order.
  public var resamplings: [PyramidResampling]
  /// The fusion weights' tensor (one per input); nil for sum fusion.
  public var fusionWeights: DetectorParameter?
  /// The separable convolution after the fusion.
  public var convolution: SeparableConvolution
  /// Its batch norm.
  public var normalization: DetectorNormalization

  /// Its tensors in state-dict order.
  public var parameters: [DetectorParameter] {
    [fusionWeights].compactMap { $0 } + resamplings.flatMap(\.parameters)
      + convolution.layers.flatMap(\.parameters)
      + normalization.parameters
  }
}

/// A class or box head: separable convolutions shared across levels with a batch norm per level
/// and repeat, then a separable prediction convolution with bias.
public struct HeadLayout: Equatable, Sendable {
  /// `class_net` or `box_net`.
  public var module: String
  /// The repeated convolutions.
  public var repeats: [SeparableConvolution]
  /// The batch norms: `[repeat][level]`.
  public var normalizations: [[DetectorNormalization]]
  /// The prediction convolution (anchors × classes, or anchors × 4, channels; anchor-major).
  public var prediction: SeparableConvolution

  /// The head under `module` predicting `outputsPerAnchor` values for each anchor.
  init(module: String, configuration: DetectorConfiguration, outputsPerAnchor: Int) {
    self.module = module
    let channels = configuration.pyramidChannels
    let levels = Array(configuration.levels)
    repeats = (0..<configuration.headRepeats).map {
      SeparableConvolution(
        module: "\(module).conv_rep.\($0)", inputChannels: channels, outputChannels: channels,
        hasBias: configuration.hasRedundantBias, levels: levels)
    }
    normalizations = (0..<configuration.headRepeats).map { index in
      levels.enumerated().map { offset, level in
        DetectorNormalization(
          module: "\(module).bn_rep.\(index).\(offset).bn", channels: channels, level: level)
      }
    }
    prediction = SeparableConvolution(
      module: "\(module).predict", inputChannels: channels,
      outputChannels: DetectorConfiguration.anchorsPerPosition * outputsPerAnchor, hasBias: true,
      levels: levels)
  }

  /// Every convolution, in order.
  public var layers: [DetectorLayer] { repeats.flatMap(\.layers) + prediction.layers }

  /// Its tensors in state-dict order.
  public var parameters: [DetectorParameter] {
    repeats.flatMap { $0.layers.flatMap(\.parameters) } + normalizations.joined().flatMap(\.parameters)
      + prediction.layers.flatMap(\.parameters)
  }
}
