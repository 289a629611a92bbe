import Foundation

/// A named member of the family: one row of (width, depth, resolution, dropout).
public struct Variant: Equatable, Sendable {
  /// timm's model name, e.g. `efficientnet_b3` or `tf_efficientnet_lite2`.
  public var name: String
  /// Width multiplier, depth multiplier, native resolution and classifier dropout.
  public var width: Double, depth: Double, resolution: Int, dropout: Double
  /// Whether this is an EfficientNet-Lite (ReLU6, no SE, fixed stem/head and end stages).
  public var isLite: Bool
  /// Whether this variant uses TensorFlow conventions ("SAME" padding, BN epsilon 1e-3).
  public var isTensorFlow: Bool
  /// timm's evaluation `crop_pct` for this variant's weights.
  public var cropFraction: Double

  /// The configuration of this variant with its default options.
  public var configuration: Configuration {
    Configuration(
      name: name, blocks: isLite ? BlockArguments.efficientNetLite : BlockArguments.efficientNetB0,
      widthMultiplier: width, depthMultiplier: depth, resolution: resolution, dropoutRate: dropout,
      dropConnectRate: 0.2, activation: isLite ? .relu6 : .silu,
      padding: isTensorFlow ? .tensorFlowSame : .symmetric, batchNormEpsilon: isTensorFlow ? 1e-3 : 1e-5,
      fixStemAndHead: isLite, fixFirstAndLastRepeats: isLite, cropFraction: cropFraction)
  }
}

/// The named EfficientNets and their short aliases.
public enum ModelRegistry {
  /// The official (width, depth, resolution, dropout) table of B0–B8 and L2, with the evaluation
  /// crop of the TensorFlow-trained weights (timm's `crop_pct`, about `res / (res + 32)`).
  static let efficientNetRows: [(String, Double, Double, Int, Double, Double)] = [
    ("b0", 1.0, 1.0, 224, 0.2, 0.875), ("b1", 1.0, 1.1, 240, 0.2, 0.882), ("b2", 1.1, 1.2, 260, 0.3, 0.890),
    ("b3", 1.2, 1.4, 300, 0.3, 0.904), ("b4", 1.4, 1.8, 380, 0.4, 0.922), ("b5", 1.6, 2.2, 456, 0.4, 0.934),
    ("b6", 1.8, 2.6, 528, 0.5, 0.942), ("b7", 2.0, 3.1, 600, 0.5, 0.949), ("b8", 2.2, 3.6, 672, 0.5, 0.954),
    ("l2", 4.3, 5.3, 800, 0.5, 0.961),
  ]
  /// The EfficientNet-Lite table (TensorFlow's `lite/` release), with the same crop column.
  static let liteRows: [(String, Double, Double, Int, Double, Double)] = [
    ("lite0", 1.0, 1.0, 224, 0.2, 0.875), ("lite1", 1.0, 1.1, 240, 0.2, 0.882),
    ("lite2", 1.1, 1.2, 260, 0.3, 0.890), ("lite3", 1.2, 1.4, 280, 0.3, 0.904),
    ("lite4", 1.4, 1.8, 300, 0.3, 0.920),
  ]

  /// Every named variant, in display order.
  public static let variants: [Variant] = {
    var list: [Variant] = []
    for tensorFlow in [false, true] {
      let prefix = tensorFlow ? "tf_efficientnet_" : "efficientnet_"
      for (rows, isLite) in [(efficientNetRows, false), (liteRows, true)] {
        for (suffix, width, depth, resolution, dropout, crop) in rows {
          // timm's own (PyTorch-trained) weights are evaluated with crop 0.875.
          list.append(
            Variant(
              name: prefix + suffix, width: width, depth: depth, resolution: resolution, dropout: dropout,
              isLite: isLite, isTensorFlow: tensorFlow, cropFraction: tensorFlow ? crop : 0.875))
        }
      }
    }
    return list
  }()

  /// Finds a variant by timm name or alias: `b3`, `lite0`, `tf_b3`, `tf_lite0`, `efficientnet-b3`
  /// (case and `-`/`_` are ignored).
  public static func variant(named name: String) throws -> Variant {
    let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
    let candidates = [
      key, "efficientnet_" + key, key.replacingOccurrences(of: "tf_", with: "tf_efficientnet_"),
    ]
    for candidate in candidates {
      if let variant = variants.first(where: { $0.name == candidate }) { return variant }
    }
    throw ArchitectureError.unknownModel(name, known: variants.map(\.name))
  }

  /// The configuration of a named variant.
  public static func configuration(named name: String) throws -> Configuration {
    try variant(named: name).configuration
  }

  /// The configuration that compound scaling with coefficient `phi` gives from `base`
  /// (B0 unless another is given); the resolution scales from the base's resolution.
  public static func compoundScaled(
    phi: Double, scaling: CompoundScaling = .paper, base: Configuration = Configuration()
  ) throws -> Configuration {
    try scaling.validate(phi: phi)
    let depth = base.depthMultiplier * scaling.depthMultiplier(phi: phi)
    let width = base.widthMultiplier * scaling.widthMultiplier(phi: phi)
    let side = Double(base.resolution) * pow(scaling.gamma, phi)
    let limit = ArchitectureLimits.maximumMultiplier
    guard depth <= limit, width <= limit, side <= Double(ArchitectureLimits.maximumResolution) else {
      throw ArchitectureError.invalidValue(
        name: "phi", value: formatNumber(phi),
        reason: String(
          format: "scales depth by %.4g, width by %.4g and resolution to %.4g px; the largest model built "
            + "has multipliers ≤ %d and resolution ≤ %d", depth, width, side, Int(limit),
          ArchitectureLimits.maximumResolution))
    }
    var configuration = base
    configuration.widthMultiplier = width
    configuration.depthMultiplier = depth
    configuration.resolution = scaling.resolution(phi: phi, baseResolution: base.resolution)
    configuration.name = "\(base.name)-phi\(formatNumber(phi))"
    if scaling != .paper {
      configuration.name +=
        "-a\(formatNumber(scaling.alpha))-b\(formatNumber(scaling.beta))-g\(formatNumber(scaling.gamma))"
    }
    return configuration
  }

  /// A number as model names write it: `2` for integers, `1.5` otherwise.
  public static func formatNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }
}
