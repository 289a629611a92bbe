import EfficientNetModels

/// Learning-rate multipliers for fine-tuning: layer-wise decay (timm's `param_groups_layer_decay`, as
/// in BEiT) and a flat backbone scale.
///
/// Layers are numbered as timm 1.0's `param_groups_layer_decay` numbers EfficientNet's parameters
/// (checked against it for Lite0): layer 0 is the stem (`conv_stem`, `bn1`); then one layer per block,
/// in order (`blocks.S.I`), the head convolution and its norm (`conv_head`, `bn2`) sharing the last
/// block's layer; the classifier is the last layer, `L` = blocks + 1 (17 for B0 and Lite0).
/// A parameter of layer `l` gets `decay^(L − l)`: the classifier 1, the last block and the head
/// `decay`, the block before `decay²`, …, the stem `decay^L`.
public enum LayerDecay {
  /// Whether `spec` belongs to the classifier (the head that a new task replaces).
  public static func isClassifier(_ spec: ParameterSpec) -> Bool { spec.layer.role == .classifier }

  /// The layer of every parameter and the classifier's layer `L` (the largest).
  ///
  /// - Parameter specs: the parameters (their layers come from ``NetworkLayout``).
  /// - Returns: layer by timm name, and `L`.
  public static func layers(of specs: [ParameterSpec]) -> (layerByName: [String: Int], classifierLayer: Int) {
    let ordered = Set(specs.compactMap(\.layer.block)).sorted()
    var blockLayer: [BlockPosition: Int] = [:]
    for (index, block) in ordered.enumerated() { blockLayer[block] = index + 1 }
    let headLayer = max(1, ordered.count)
    let classifierLayer = headLayer + 1
    var layerByName: [String: Int] = [:]
    for spec in specs {
      switch spec.layer.role {
      case .stem: layerByName[spec.name] = 0
      case .head: layerByName[spec.name] = headLayer
      case .classifier: layerByName[spec.name] = classifierLayer
      default: layerByName[spec.name] = spec.layer.block.flatMap { blockLayer[$0] } ?? classifierLayer
      }
    }
    return (layerByName, classifierLayer)
  }

  /// The learning-rate multiplier of every parameter.
  ///
  /// - Parameters:
  ///   - specs: the parameters.
  ///   - layerDecay: `decay` in (0, 1] for layer-wise decay, or nil for none.
  ///   - backboneScale: a further multiplier for everything but the classifier.
  /// - Returns: multiplier by timm name (the classifier's is 1).
  public static func learningRateScales(specs: [ParameterSpec], layerDecay: Double?, backboneScale: Double)
    -> [String: Double]
  {
    let (layerByName, classifierLayer) = layers(of: specs)
    var scales: [String: Double] = [:]
    for spec in specs {
      var scale = 1.0
      if let layerDecay, let layer = layerByName[spec.name] {
        scale = pow(layerDecay, classifierLayer - layer)
      }
      if !isClassifier(spec) { scale *= backboneScale }
      scales[spec.name] = scale
    }
    return scales
  }

  /// `base^exponent` for a small non-negative integer exponent (exact repeated products).
  private static func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<max(0, exponent) { result *= base }
    return result
  }
}
