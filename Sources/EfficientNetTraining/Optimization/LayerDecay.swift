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
  /// Whether `name` belongs to the classifier (the head that a new task replaces).
  public static func isClassifier(_ name: String) -> Bool { name.hasPrefix("classifier.") }

  /// The layer of every parameter name and the classifier's layer `L` (the largest).
  ///
  /// - Parameter names: timm names (`conv_stem.weight`, `blocks.2.1.conv_dw.weight`, …).
  /// - Returns: layer by name, and `L`.
  public static func layers(of names: [String]) -> (layerByName: [String: Int], classifierLayer: Int) {
    var blockKeys = Set<[Int]>()
    for name in names {
      if let key = blockKey(name) { blockKeys.insert(key) }
    }
    let ordered = blockKeys.sorted { $0.lexicographicallyPrecedes($1) }
    var blockLayer: [[Int]: Int] = [:]
    for (index, key) in ordered.enumerated() { blockLayer[key] = index + 1 }
    let headLayer = max(1, ordered.count)
    let classifierLayer = headLayer + 1
    var layerByName: [String: Int] = [:]
    for name in names {
      if name.hasPrefix("conv_stem.") || name.hasPrefix("bn1.") {
        layerByName[name] = 0
      } else if let key = blockKey(name), let layer = blockLayer[key] {
        layerByName[name] = layer
      } else if name.hasPrefix("conv_head.") || name.hasPrefix("bn2.") {
        layerByName[name] = headLayer
      } else {
        layerByName[name] = classifierLayer
      }
    }
    return (layerByName, classifierLayer)
  }

  /// The learning-rate multiplier of every parameter.
  ///
  /// - Parameters:
  ///   - names: the parameter names (timm's).
  ///   - layerDecay: `decay` in (0, 1] for layer-wise decay, or nil for none.
  ///   - backboneScale: a further multiplier for everything but the classifier.
  /// - Returns: multiplier by name (the classifier's is 1).
  public static func learningRateScales(names: [String], layerDecay: Double?, backboneScale: Double)
    -> [String: Double]
  {
    let (layerByName, classifierLayer) = layers(of: names)
    var scales: [String: Double] = [:]
    for name in names {
      var scale = 1.0
      if let layerDecay, let layer = layerByName[name] {
        scale = pow(layerDecay, classifierLayer - layer)
      }
      if !isClassifier(name) { scale *= backboneScale }
      scales[name] = scale
    }
    return scales
  }

  /// `[stage, index]` of a `blocks.S.I.…` name.
  private static func blockKey(_ name: String) -> [Int]? {
    let parts = name.split(separator: ".")
    guard parts.count >= 3, parts[0] == "blocks", let stage = Int(parts[1]), let index = Int(parts[2])
    else { return nil }
    return [stage, index]
  }

  /// `base^exponent` for a small non-negative integer exponent (exact repeated products).
  private static func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<max(0, exponent) { result *= base }
    return result
  }
}
