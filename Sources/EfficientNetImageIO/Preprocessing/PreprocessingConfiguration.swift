/// The resampling filter used to resize images, as Pillow implements it.
///
/// Both filters are antialiased when shrinking: their support grows with the downscale factor, as in
/// Pillow's `Image.resize` (and so in torchvision's `Resize` on PIL images).
public enum Interpolation: String, Sendable, CaseIterable {
  /// Pillow's `Resampling.BICUBIC`: the cubic convolution kernel with a = -0.5, support 2.
  case bicubic
  /// Pillow's `Resampling.BILINEAR`: the triangle kernel, support 1.
  case bilinear
}

/// How an image becomes a model input: timm's evaluation transform.
///
/// Resize the shorter side to ``resizeSize`` (the longer side keeps the aspect ratio, truncated),
/// center-crop ``resolution`` × ``resolution`` (zero padding where the image is smaller), scale pixels
/// to [0, 1], then subtract ``mean`` and divide by ``standardDeviation`` per channel.
public struct PreprocessingConfiguration: Equatable, Sendable {
  /// The side of the square crop the model sees, in pixels.
  public var resolution: Int
  /// The fraction of the resized image's shorter side that the crop keeps (timm's `crop_pct`).
  public var cropFraction: Double
  /// The filter used to resize.
  public var interpolation: Interpolation
  /// The per-channel mean subtracted after scaling to [0, 1]; one value per output channel.
  public var mean: [Float]
  /// The per-channel standard deviation divided by after subtracting the mean; one per output channel.
  public var standardDeviation: [Float]

  /// Creates a configuration.
  ///
  /// - Parameters:
  ///   - resolution: The side of the square crop, at least 1.
  ///   - cropFraction: timm's `crop_pct`, greater than 0 (above 1 the crop is padded with zeros).
  ///   - interpolation: The resizing filter.
  ///   - mean: One mean per output channel.
  ///   - standardDeviation: One standard deviation per output channel (as many as `mean`).
  public init(
    resolution: Int, cropFraction: Double = 0.875, interpolation: Interpolation = .bicubic,
    mean: [Float] = PreprocessingConfiguration.imageNetMean,
    standardDeviation: [Float] = PreprocessingConfiguration.imageNetStandardDeviation
  ) {
    precondition(resolution >= 1, "resolution must be at least 1, got \(resolution)")
    precondition(
      cropFraction > 0 && cropFraction.isFinite, "cropFraction must be positive, got \(cropFraction)")
    precondition(
      !mean.isEmpty && mean.count == standardDeviation.count,
      "mean and standardDeviation need one value per channel (got \(mean.count) and \(standardDeviation.count))"
    )
    self.resolution = resolution
    self.cropFraction = cropFraction
    self.interpolation = interpolation
    self.mean = mean
    self.standardDeviation = standardDeviation
  }

  /// The ImageNet channel means (RGB) used by timm and torchvision.
  public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
  /// The ImageNet channel standard deviations (RGB) used by timm and torchvision.
  public static let imageNetStandardDeviation: [Float] = [0.229, 0.224, 0.225]

  /// timm's default evaluation transform: 224 × 224 crop of a 256 resize, bicubic, ImageNet statistics.
  public static let imageNet = PreprocessingConfiguration(resolution: 224)

  /// The length the shorter side is resized to: `floor(resolution / cropFraction)`, as in timm's
  /// `transforms_imagenet_eval` (`math.floor(img_size / crop_pct)`).
  public var resizeSize: Int { Int((Double(resolution) / cropFraction).rounded(.down)) }
}
