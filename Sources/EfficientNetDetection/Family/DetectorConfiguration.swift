import EfficientNetModels

/// How a BiFPN node combines its resampled inputs.
public enum FeatureFusion: String, Sendable, Codable {
  /// Fast normalized fusion: `Σ relu(wᵢ)·xᵢ / (Σ relu(wⱼ) + 1e-4)`, one learned weight per input
  /// (effdet's `fastattn`, D0–D5).
  case fastNormalized
  /// A plain sum, no weights (effdet's `sum`: D6, D7, D7x and the Lite detectors).
  case sum

  /// The ε of fast normalized fusion (effdet's and automl's).
  public static let epsilon: Float = 1e-4

  /// Fast normalized fusion's factor for each input, `relu(wᵢ) / S`, and the divisor
  /// `S = Σ relu(wⱼ) + ε`; nil weights (sum fusion) give factors of 1 for `inputCount` inputs and S = 1.
  public static func coefficients(weights: [Float]?, inputCount: Int) -> (factors: [Float], divisor: Float) {
    guard let weights else { return ([Float](repeating: 1, count: inputCount), 1) }
    let positive = weights.map { max($0, 0) }
    let divisor = positive.reduce(0, +) + epsilon
    return (positive.map { $0 / divisor }, divisor)
  }
}

/// One EfficientDet: its backbone, input size, feature network, heads and anchors.
///
/// A row of the family table (``DetectorRegistry``) or the detector compound scaling gives for any φ.
public struct DetectorConfiguration: Equatable, Sendable {
  /// The name, e.g. `tf_efficientdet_d0` (effdet's model names).
  public var name: String
  /// The classifier whose stages give P3–P5 (its head and classifier are not part of the detector).
  public var backbone: Configuration
  /// The input height and width (both multiples of 2^maximumLevel for the published models).
  public var inputHeight: Int, inputWidth: Int
  /// The BiFPN's channels (and the heads').
  public var pyramidChannels: Int
  /// The number of BiFPN cells.
  public var pyramidCells: Int
  /// The separable convolutions of each head before its prediction layer.
  public var headRepeats: Int
  /// How BiFPN nodes combine their inputs.
  public var fusion: FeatureFusion
  /// The activation of the BiFPN and the heads (swish, or ReLU6 for the Lite detectors).
  public var activation: ActivationKind
  /// The anchor size in strides: an anchor of scale 1 and ratio 1 is `anchorScale · stride` wide.
  public var anchorScale: Double
  /// The finest and coarsest pyramid levels (P3–P7; P3–P8 for D7x).
  public var minimumLevel: Int, maximumLevel: Int
  /// The number of object classes (COCO's 90 for the published weights).
  public var classCount: Int
  /// Whether convolutions followed by batch norm also carry a bias (effdet's `redundant_bias`, set
  /// for the TensorFlow ports).
  public var hasRedundantBias: Bool
  /// The per-channel input mean and standard deviation (RGB, on values in 0…1).
  public var mean: [Float], standardDeviation: [Float]

  /// Creates a configuration; the defaults are `tf_efficientdet_d0`'s except for the backbone.
  public init(
    name: String, backbone: Configuration, inputHeight: Int = 512, inputWidth: Int = 512,
    pyramidChannels: Int = 64, pyramidCells: Int = 3, headRepeats: Int = 3,
    fusion: FeatureFusion = .fastNormalized,
    activation: ActivationKind = .silu, anchorScale: Double = 4, minimumLevel: Int = 3, maximumLevel: Int = 7,
    classCount: Int = 90, hasRedundantBias: Bool = true, mean: [Float] = [0.485, 0.456, 0.406],
    standardDeviation: [Float] = [0.229, 0.224, 0.225]
  ) {
    self.name = name
    self.backbone = backbone
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.pyramidChannels = pyramidChannels
    self.pyramidCells = pyramidCells
    self.headRepeats = headRepeats
    self.fusion = fusion
    self.activation = activation
    self.anchorScale = anchorScale
    self.minimumLevel = minimumLevel
    self.maximumLevel = maximumLevel
    self.classCount = classCount
    self.hasRedundantBias = hasRedundantBias
    self.mean = mean
    self.standardDeviation = standardDeviation
  }

  /// The pyramid levels, finest first.
  public var levels: ClosedRange<Int> { minimumLevel...maximumLevel }

  /// The anchors per position: 3 scales × 3 aspect ratios.
  public static let anchorsPerPosition = 9

  /// The backbone's padding convention, which the pooling of the extra levels follows.
  public var padding: PaddingMode { backbone.padding }

  /// Checks every value a detector is built from.
  public func validate() throws {
    func check(_ condition: Bool, _ field: String, _ value: Any, _ reason: String) throws {
      guard condition else {
        throw ArchitectureError.invalidValue(name: field, value: "\(value)", reason: reason)
      }
    }
    try backbone.validate()
    try check(minimumLevel == 3, "minimum level", minimumLevel, "must be 3 (the backbone gives P3–P5)")
    try check((5...8).contains(maximumLevel), "maximum level", maximumLevel, "must be in 5…8")
    try check((8...4096).contains(pyramidChannels), "pyramid channels", pyramidChannels, "must be in 8…4096")
    try check((1...16).contains(pyramidCells), "pyramid cells", pyramidCells, "must be in 1…16")
    try check((1...16).contains(headRepeats), "head repeats", headRepeats, "must be in 1…16")
    try check((1...10_000).contains(classCount), "classes", classCount, "must be in 1…10000")
    try check(anchorScale > 0 && anchorScale.isFinite, "anchor scale", anchorScale, "must be positive")
    let limit = ArchitectureLimits.maximumResolution
    for (field, side) in [("input height", inputHeight), ("input width", inputWidth)] {
      try check((32...limit).contains(side), field, side, "must be in 32…\(limit)")
    }
    try check(mean.count == 3 && standardDeviation.count == 3, "mean/std", mean, "needs three channels")
  }
}
