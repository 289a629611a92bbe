import EfficientNetModels
import Foundation

/// The named EfficientDets (effdet's `tf_efficientdet_*` ports of the official weights and its own
/// PyTorch-trained `efficientdet_d0`/`d1`), and the detector compound scaling for any φ.
public enum DetectorRegistry {
  /// One row of the family table.
  struct Row {
    var name: String, backbone: String, input: Int, channels: Int, cells: Int, heads: Int
    var fusion: FeatureFusion = .fastNormalized, anchorScale: Double = 4, maximumLevel = 7
    var redundantBias = true
    /// The backbone's stochastic-depth rate when training (effdet's `backbone_args`).
    var dropPath = 0.2
  }

  /// D0–D7x (automl's `hparams_config.py`; effdet's `model_config.py`).
  static let efficientDetRows: [Row] = [
    ("d0", "b0", 512, 64, 3, 3, FeatureFusion.fastNormalized, 4.0, 7),
    ("d1", "b1", 640, 88, 4, 3, .fastNormalized, 4, 7),
    ("d2", "b2", 768, 112, 5, 3, .fastNormalized, 4, 7), ("d3", "b3", 896, 160, 6, 4, .fastNormalized, 4, 7),
    ("d4", "b4", 1024, 224, 7, 4, .fastNormalized, 4, 7),
    ("d5", "b5", 1280, 288, 7, 4, .fastNormalized, 4, 7),
    ("d6", "b6", 1280, 384, 8, 5, .sum, 4, 7), ("d7", "b6", 1536, 384, 8, 5, .sum, 5, 7),
    ("d7x", "b7", 1536, 384, 8, 5, .sum, 4, 8),
  ].map { suffix, backbone, input, channels, cells, heads, fusion, anchorScale, maximumLevel in
    Row(
      name: "tf_efficientdet_" + suffix, backbone: "tf_efficientnet_" + backbone, input: input,
      channels: channels,
      cells: cells, heads: heads, fusion: fusion, anchorScale: anchorScale, maximumLevel: maximumLevel)
  }

  /// EfficientDet-Lite0–4 and Lite3x (automl's `efficientdet/lite`): ReLU6, sum fusion.
  static let liteRows: [Row] = [
    ("0", "lite0", 320, 64, 3, 3, 3.0), ("1", "lite1", 384, 88, 4, 3, 3), ("2", "lite2", 448, 112, 5, 3, 3),
    ("3", "lite3", 512, 160, 6, 4, 4), ("3x", "lite3", 640, 200, 6, 4, 3), ("4", "lite4", 640, 224, 7, 4, 4),
  ].map { suffix, backbone, input, channels, cells, heads, anchorScale in
    Row(
      name: "tf_efficientdet_lite" + suffix, backbone: "tf_efficientnet_" + backbone, input: input,
      channels: channels, cells: cells, heads: heads, fusion: .sum, anchorScale: anchorScale,
      dropPath: suffix == "0" ? 0 : 0.2)
  }

  /// effdet's own PyTorch-trained detectors (symmetric padding, no redundant biases).
  static let pyTorchRows: [Row] = [
    Row(
      name: "efficientdet_d0", backbone: "efficientnet_b0", input: 512, channels: 64, cells: 3, heads: 3,
      redundantBias: false, dropPath: 0.1),
    Row(
      name: "efficientdet_d1", backbone: "efficientnet_b1", input: 640, channels: 88, cells: 4, heads: 3,
      redundantBias: false),
  ]

  /// Every named detector, in display order.
  public static let names: [String] = (efficientDetRows + liteRows + pyTorchRows).map(\.name)

  /// Every named detector's configuration, in display order.
  public static func all() -> [DetectorConfiguration] {
    // The rows name backbones the classifier registry has; a failure here is a bug in the table.
    names.map { try! configuration(named: $0) }
  }

  /// Whether `name` names a detector (a family member or `efficientdet-phiX`) rather than a classifier.
  public static func isDetector(_ name: String) -> Bool {
    let key = normalized(name)
    return key.contains("efficientdet") || isShortName(key)
  }

  /// `d0`…`d7x`: the short names that alone name detectors (`lite0` and `tf_lite0` stay classifiers).
  private static func isShortName(_ key: String) -> Bool {
    key.count >= 2 && key.first == "d" && key.dropFirst().allSatisfy { $0.isNumber || $0 == "x" }
  }

  /// Finds a detector by effdet name or alias: `tf_efficientdet_d0`, `efficientdet-d0`, `d0`,
  /// `efficientdet-lite0`, `efficientdet_d0` (effdet's PyTorch-trained one), `efficientdet-phi1.5`.
  public static func configuration(named name: String) throws -> DetectorConfiguration {
    let key = normalized(name)
    if let row = row(key) { return try configuration(row) }
    if key.hasPrefix("efficientdet_phi"), let phi = Double(key.dropFirst("efficientdet_phi".count)) {
      return try compoundScaled(phi: phi)
    }
    throw ArchitectureError.unknownModel(name, known: names)
  }

  /// The detector that EfficientDet's compound scaling gives for `phi`: the table's row for
  /// φ = 0…7, otherwise BiFPN width 64·1.35^φ (to a multiple of 8), 3 + ⌊φ⌋ cells, 3 + ⌊φ/3⌋ head
  /// repeats, input 512 + 128φ (down to a multiple of 128), on the backbone B0's compound scaling
  /// gives for φ.
  public static func compoundScaled(phi: Double) throws -> DetectorConfiguration {
    guard phi.isFinite, phi >= 0, phi <= 16 else {
      throw ArchitectureError.invalidValue(
        name: "phi", value: "\(phi)", reason: "must be in 0…16 for a detector")
    }
    if phi == phi.rounded(), phi <= 7 {
      return try configuration(efficientDetRows[Int(phi)])
    }
    let baseBackbone = try ModelRegistry.configuration(named: "tf_efficientnet_b0")
    var backbone = try ModelRegistry.compoundScaled(phi: phi, base: baseBackbone)
    backbone.includeClassifier = false
    let channels = max(8, Int((64 * pow(1.35, phi) / 8).rounded()) * 8)
    let input = (512 + Int(128 * phi)) / 128 * 128
    var detector = DetectorConfiguration(
      name: "efficientdet-phi\(ModelRegistry.formatNumber(phi))", backbone: backbone, inputHeight: input,
      inputWidth: input, pyramidChannels: channels, pyramidCells: 3 + Int(phi), headRepeats: 3 + Int(phi / 3))
    detector.fusion = phi >= 6 ? .sum : .fastNormalized
    try detector.validate()
    return detector
  }

  private static func row(_ key: String) -> Row? {
    let rows = efficientDetRows + liteRows + pyTorchRows
    let candidates = [key, "tf_" + key] + (isShortName(key) ? ["tf_efficientdet_" + key] : [])
    for candidate in candidates {
      if let row = rows.first(where: { $0.name == candidate }) { return row }
    }
    return nil
  }

  private static func normalized(_ name: String) -> String {
    name.lowercased().replacingOccurrences(of: "-", with: "_")
  }

  private static func configuration(_ row: Row) throws -> DetectorConfiguration {
    var backbone = try ModelRegistry.configuration(named: row.backbone)
    backbone.includeClassifier = false
    backbone.dropConnectRate = row.dropPath
    let lite = row.name.contains("lite")
    let detector = DetectorConfiguration(
      name: row.name, backbone: backbone, inputHeight: row.input, inputWidth: row.input,
      pyramidChannels: row.channels, pyramidCells: row.cells, headRepeats: row.heads, fusion: row.fusion,
      activation: lite ? .relu6 : .silu, anchorScale: row.anchorScale, maximumLevel: row.maximumLevel,
      hasRedundantBias: row.redundantBias, mean: lite ? [0.5, 0.5, 0.5] : [0.485, 0.456, 0.406],
      standardDeviation: lite ? [0.5, 0.5, 0.5] : [0.229, 0.224, 0.225])
    try detector.validate()
    return detector
  }
}
