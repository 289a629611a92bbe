import EfficientNetImageIO

/// How the geometric RandAugment operations (rotate, shear, translate) sample the source image.
public enum AugmentationResampling: String, Sendable, CaseIterable {
  /// The nearest source pixel (Pillow's `NEAREST`).
  case nearest
  /// Bilinear interpolation of the 4 nearest source pixels (Pillow's `BILINEAR` for affine transforms).
  case bilinear
}

/// torchvision's `RandomResizedCrop` parameters: the crop's area as a fraction of the image's, and its
/// aspect ratio (width / height), each drawn uniformly (the ratio on a log scale).
public struct RandomResizedCropConfiguration: Equatable, Sendable {
  /// The range of the crop's area over the image's area.
  public var scale: ClosedRange<Double>
  /// The range of the crop's width over its height.
  public var ratio: ClosedRange<Double>

  /// Creates crop parameters.
  ///
  /// - Parameters:
  ///   - scale: Area fractions, within `0 ... 1` with a positive upper bound; timm's default 0.08 ... 1.
  ///   - ratio: Aspect ratios, positive; timm's default 3/4 ... 4/3.
  public init(scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
    precondition(scale.lowerBound >= 0 && scale.upperBound > 0, "crop scale must be positive, got \(scale)")
    precondition(ratio.lowerBound > 0, "crop ratio must be positive, got \(ratio)")
    self.scale = scale
    self.ratio = ratio
  }
}

/// What turns a dataset image into a model input, for training (augmented) or evaluation.
///
/// Training, in timm's order (`transforms_imagenet_train`): random-resized crop (or, without it, the
/// whole image) resized to `resolution × resolution`, horizontal flip, RandAugment, then scaling to
/// `[0, 1]` and normalization. Evaluation is timm's eval transform (resize the shorter side to
/// `floor(resolution / cropFraction)`, center crop), Pillow-exact, through `Preprocessor`.
///
/// Gray images fed to a 3-channel model are augmented as gray and repeated in every channel (the same
/// result as augmenting the gray image converted to RGB); colour images fed to a 1-channel model are
/// converted to luma first (Pillow's `convert("L")`).
public struct AugmentationConfiguration: Equatable, Sendable {
  /// Whether the configuration augments (training) or only resizes and crops (evaluation).
  public enum Mode: String, Equatable, Sendable {
    /// Random crop, flip and RandAugment.
    case training
    /// timm's deterministic eval transform.
    case evaluation
  }

  /// Training or evaluation.
  public var mode: Mode
  /// The side of the square model input, in pixels.
  public var resolution: Int
  /// The model's input channels: 1 or 3.
  public var outputChannels: Int
  /// The filter used to resize (Pillow-exact).
  public var interpolation: Interpolation
  /// The random-resized-crop parameters (training); nil resizes the whole image instead.
  public var randomResizedCrop: RandomResizedCropConfiguration?
  /// The probability of a horizontal flip (training).
  public var horizontalFlipProbability: Double
  /// The RandAugment policy (training); nil for none.
  public var randAugment: RandAugmentConfiguration?
  /// The share of the resized image the evaluation crop keeps (timm's `crop_pct`).
  public var cropFraction: Double
  /// The per-channel mean subtracted after scaling to `[0, 1]`; `outputChannels` values.
  public var mean: [Float]
  /// The per-channel standard deviation divided by; `outputChannels` values.
  public var standardDeviation: [Float]

  /// Creates a configuration; the `training(resolution:…)` and `evaluation(resolution:…)` factories
  /// are shorter.
  ///
  /// - Parameters: as the properties; `mean` and `standardDeviation` default to the ImageNet values
  ///   (their average for 1 channel, as timm does for `in_chans=1`).
  public init(
    mode: Mode, resolution: Int, outputChannels: Int = 3, interpolation: Interpolation = .bicubic,
    randomResizedCrop: RandomResizedCropConfiguration? = RandomResizedCropConfiguration(),
    horizontalFlipProbability: Double = 0.5, randAugment: RandAugmentConfiguration? = nil,
    cropFraction: Double = 0.875, mean: [Float]? = nil, standardDeviation: [Float]? = nil
  ) {
    precondition(resolution >= 1, "resolution must be at least 1, got \(resolution)")
    precondition(
      outputChannels == 1 || outputChannels == 3, "outputChannels must be 1 or 3, got \(outputChannels)")
    precondition((0...1).contains(horizontalFlipProbability), "flip probability must be in 0...1")
    precondition(
      cropFraction > 0 && cropFraction.isFinite, "cropFraction must be positive, got \(cropFraction)")
    let mean = mean ?? Self.defaultMean(channels: outputChannels)
    let standardDeviation = standardDeviation ?? Self.defaultStandardDeviation(channels: outputChannels)
    precondition(
      mean.count == outputChannels && standardDeviation.count == outputChannels,
      "mean and standardDeviation need \(outputChannels) values each, got \(mean.count) and "
        + "\(standardDeviation.count)"
    )
    self.mode = mode
    self.resolution = resolution
    self.outputChannels = outputChannels
    self.interpolation = interpolation
    self.randomResizedCrop = randomResizedCrop
    self.horizontalFlipProbability = horizontalFlipProbability
    self.randAugment = randAugment
    self.cropFraction = cropFraction
    self.mean = mean
    self.standardDeviation = standardDeviation
  }

  /// A training configuration (timm's defaults: crop scale 0.08–1, ratio 3/4–4/3, flip 0.5).
  ///
  /// - Parameters:
  ///   - resolution: The model input side.
  ///   - outputChannels: 1 or 3.
  ///   - randomResizedCrop: The crop parameters; nil resizes the whole image.
  ///   - horizontalFlipProbability: In `0 ... 1`.
  ///   - randAugment: A RandAugment policy, e.g. `RandAugmentConfiguration(layers: 2, magnitude: 9)`.
  ///   - interpolation: The resize filter.
  ///   - mean: Per-channel means; ImageNet's by default.
  ///   - standardDeviation: Per-channel standard deviations; ImageNet's by default.
  public static func training(
    resolution: Int, outputChannels: Int = 3,
    randomResizedCrop: RandomResizedCropConfiguration? = RandomResizedCropConfiguration(),
    horizontalFlipProbability: Double = 0.5, randAugment: RandAugmentConfiguration? = nil,
    interpolation: Interpolation = .bicubic, mean: [Float]? = nil, standardDeviation: [Float]? = nil
  ) -> AugmentationConfiguration {
    AugmentationConfiguration(
      mode: .training, resolution: resolution, outputChannels: outputChannels, interpolation: interpolation,
      randomResizedCrop: randomResizedCrop, horizontalFlipProbability: horizontalFlipProbability,
      randAugment: randAugment, mean: mean, standardDeviation: standardDeviation)
  }

  /// An evaluation configuration: timm's eval transform (resize, center crop, normalize).
  ///
  /// - Parameters:
  ///   - resolution: The model input side.
  ///   - outputChannels: 1 or 3.
  ///   - cropFraction: timm's `crop_pct`; 1 resizes the shorter side to `resolution` and crops nothing
  ///     from it.
  ///   - interpolation: The resize filter.
  ///   - mean: Per-channel means; ImageNet's by default.
  ///   - standardDeviation: Per-channel standard deviations; ImageNet's by default.
  public static func evaluation(
    resolution: Int, outputChannels: Int = 3, cropFraction: Double = 0.875,
    interpolation: Interpolation = .bicubic, mean: [Float]? = nil, standardDeviation: [Float]? = nil
  ) -> AugmentationConfiguration {
    AugmentationConfiguration(
      mode: .evaluation, resolution: resolution, outputChannels: outputChannels, interpolation: interpolation,
      randomResizedCrop: nil, horizontalFlipProbability: 0, randAugment: nil, cropFraction: cropFraction,
      mean: mean, standardDeviation: standardDeviation)
  }

  /// ImageNet's channel means, or their average (0.449) for one channel.
  public static func defaultMean(channels: Int) -> [Float] {
    let mean = PreprocessingConfiguration.imageNetMean
    return channels == 1 ? [mean.reduce(0, +) / Float(mean.count)] : mean
  }

  /// ImageNet's channel standard deviations, or their average (0.226) for one channel.
  public static func defaultStandardDeviation(channels: Int) -> [Float] {
    let deviation = PreprocessingConfiguration.imageNetStandardDeviation
    return channels == 1 ? [deviation.reduce(0, +) / Float(deviation.count)] : deviation
  }

  /// The eval transform's configuration for `Preprocessor`.
  public var preprocessing: PreprocessingConfiguration {
    PreprocessingConfiguration(
      resolution: resolution, cropFraction: cropFraction, interpolation: interpolation, mean: mean,
      standardDeviation: standardDeviation)
  }

  /// The colour that fills pixels the geometric RandAugment operations uncover: timm's
  /// `img_mean = round(255 · mean)` per channel; for gray images augmented for a 3-channel model, the
  /// luma of that colour.
  ///
  /// - Parameter channels: The channels of the image being augmented, 1 or 3.
  public func fillColor(channels: Int) -> [UInt8] {
    let colour = mean.map { UInt8(max(0, min(255, (255 * Double($0)).rounded(.toNearestOrEven)))) }
    if channels == colour.count { return colour }
    if channels == 1 {
      let luma =
        (UInt32(colour[0]) * 19595 + UInt32(colour[1]) * 38470 + UInt32(colour[2]) * 7471 + 0x8000) >> 16
      return [UInt8(luma)]
    }
    return [UInt8](repeating: colour[0], count: channels)
  }
}
