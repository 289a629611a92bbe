/// How convolutions pad their input.
public enum PaddingMode: String, Sendable, Codable {
  /// PyTorch/timm: `((stride - 1) + (kernel - 1)) / 2` on every side.
  case symmetric
  /// TensorFlow "SAME": output `ceil(input / stride)`, the odd pixel of padding at the bottom/right.
  case tensorFlowSame
}

/// Everything that defines one EfficientNet: block table, scaling, head and options.
///
/// A configuration is data; ``resolve()`` turns it into the concrete ``Architecture``.
public struct Configuration: Equatable, Sendable {
  /// The model's name (timm's, for the named variants).
  public var name: String
  /// The unscaled block table, one entry per stage.
  public var blocks: [BlockArguments]
  /// The width multiplier applied to every channel count.
  public var widthMultiplier: Double
  /// The depth multiplier applied to every stage's repeats.
  public var depthMultiplier: Double
  /// The native input resolution (height = width).
  public var resolution: Int
  /// Dropout before the classifier (training only).
  public var dropoutRate: Double
  /// The stochastic-depth rate of the last block; block `i` of `n` uses `rate · i / n` (training only).
  public var dropConnectRate: Double
  /// The number of output classes.
  public var classCount: Int
  /// The number of input channels (3 for RGB, 1 for grayscale).
  public var inputChannels: Int
  /// When false the model ends at the pooled features (no classifier).
  public var includeClassifier: Bool
  /// The activation of stem, blocks and head (SiLU for EfficientNet, ReLU6 for Lite).
  public var activation: ActivationKind
  /// The convolution padding convention.
  public var padding: PaddingMode
  /// The batch-norm epsilon (1e-5 for timm/PyTorch weights, 1e-3 for TensorFlow-trained ones).
  public var batchNormEpsilon: Double
  /// The stem's output channels before width scaling.
  public var stemChannels: Int
  /// The head's 1×1 convolution output channels before width scaling.
  public var headChannels: Int
  /// When true, stem and head channels are not scaled (EfficientNet-Lite).
  public var fixStemAndHead: Bool
  /// When true, the first and last stages' repeats are not scaled (EfficientNet-Lite).
  public var fixFirstAndLastRepeats: Bool
  /// The divisor that scaled channel counts round to.
  public var channelDivisor: Int
  /// The fraction of the resized image that evaluation's center crop keeps (timm's `crop_pct`).
  public var cropFraction: Double

  /// Creates a configuration; the defaults are EfficientNet-B0's.
  public init(
    name: String = "efficientnet_b0", blocks: [BlockArguments] = BlockArguments.efficientNetB0,
    widthMultiplier: Double = 1, depthMultiplier: Double = 1, resolution: Int = 224,
    dropoutRate: Double = 0.2, dropConnectRate: Double = 0.2, classCount: Int = 1000,
    inputChannels: Int = 3, includeClassifier: Bool = true, activation: ActivationKind = .silu,
    padding: PaddingMode = .symmetric, batchNormEpsilon: Double = 1e-5, stemChannels: Int = 32,
    headChannels: Int = 1280, fixStemAndHead: Bool = false, fixFirstAndLastRepeats: Bool = false,
    channelDivisor: Int = 8, cropFraction: Double = 0.875
  ) {
    self.name = name
    self.blocks = blocks
    self.widthMultiplier = widthMultiplier
    self.depthMultiplier = depthMultiplier
    self.resolution = resolution
    self.dropoutRate = dropoutRate
    self.dropConnectRate = dropConnectRate
    self.classCount = classCount
    self.inputChannels = inputChannels
    self.includeClassifier = includeClassifier
    self.activation = activation
    self.padding = padding
    self.batchNormEpsilon = batchNormEpsilon
    self.stemChannels = stemChannels
    self.headChannels = headChannels
    self.fixStemAndHead = fixStemAndHead
    self.fixFirstAndLastRepeats = fixFirstAndLastRepeats
    self.channelDivisor = channelDivisor
    self.cropFraction = cropFraction
  }

  /// Checks every field a user can set; throws naming the first bad one.
  public func validate() throws {
    func check(_ ok: Bool, _ name: String, _ value: Any, _ reason: String) throws {
      if !ok { throw ArchitectureError.invalidValue(name: name, value: "\(value)", reason: reason) }
    }
    try check(!blocks.isEmpty, "block table", "[]", "needs at least one stage")
    try check(
      widthMultiplier.isFinite && widthMultiplier > 0, "width multiplier", widthMultiplier, "must be > 0")
    try check(
      depthMultiplier.isFinite && depthMultiplier > 0, "depth multiplier", depthMultiplier, "must be > 0")
    let limits = ArchitectureLimits.self
    try check(
      widthMultiplier <= limits.maximumMultiplier, "width multiplier", widthMultiplier,
      "must be ≤ \(Int(limits.maximumMultiplier))")
    try check(
      depthMultiplier <= limits.maximumMultiplier, "depth multiplier", depthMultiplier,
      "must be ≤ \(Int(limits.maximumMultiplier))")
    try limits.check(resolution, in: 1...limits.maximumResolution, "resolution")
    try check(dropoutRate >= 0 && dropoutRate < 1, "dropout rate", dropoutRate, "must be in [0, 1)")
    try check(
      dropConnectRate >= 0 && dropConnectRate < 1, "drop-connect rate", dropConnectRate, "must be in [0, 1)")
    try limits.check(classCount, in: 1...limits.maximumClassCount, "class count")
    try limits.check(inputChannels, in: 1...limits.maximumInputChannels, "input channels")
    try limits.check(stemChannels, in: 1...limits.maximumChannels, "stem channels")
    try limits.check(headChannels, in: 1...limits.maximumChannels, "head channels")
    for (index, stage) in blocks.enumerated() {
      try stage.validate(stage: index)
    }
    try check(batchNormEpsilon > 0, "batch-norm epsilon", batchNormEpsilon, "must be > 0")
    try check(channelDivisor > 0, "channel divisor", channelDivisor, "must be > 0")
    try check(cropFraction > 0 && cropFraction <= 1, "crop fraction", cropFraction, "must be in (0, 1]")
  }
}

/// The activation family of a model (the squeeze-and-excitation gate is always a sigmoid).
public enum ActivationKind: String, Sendable, Codable {
  /// Swish / SiLU (EfficientNet).
  case silu
  /// ReLU6 (EfficientNet-Lite).
  case relu6
  /// ReLU.
  case relu
}
