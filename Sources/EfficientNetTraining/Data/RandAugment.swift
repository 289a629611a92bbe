import EfficientNetImageIO

/// One operation of timm's RandAugment (`_RAND_TRANSFORMS`), with timm's mapping from magnitude
/// (0 … 10) to argument.
public enum RandAugmentOperation: String, CaseIterable, Sendable {
  /// Stretch each channel to the full range. No argument.
  case autoContrast
  /// Equalize each channel's histogram. No argument.
  case equalize
  /// `255 − v`. No argument.
  case invert
  /// Rotate by `±30 · m / 10` degrees (sign random).
  case rotate
  /// Keep `int(4 · m / 10)` bits (increasing: `4 − ` that).
  case posterize
  /// Invert samples at or above `min(256, int(256 · m / 10))` (increasing: `256 − ` that).
  case solarize
  /// Add `min(128, int(110 · m / 10))` to samples below 128.
  case solarizeAdd
  /// Saturation factor `0.1 + 1.8 · m / 10` (increasing: `max(0.1, 1 ± 0.9 · m / 10)`).
  case color
  /// Contrast factor, as `color`.
  case contrast
  /// Brightness factor, as `color`.
  case brightness
  /// Sharpness factor, as `color`.
  case sharpness
  /// Horizontal shear `±0.3 · m / 10` (sign random).
  case shearX
  /// Vertical shear `±0.3 · m / 10` (sign random).
  case shearY
  /// Horizontal shift by `±translateFraction · m / 10` of the width (sign random).
  case translateXRelative
  /// Vertical shift by `±translateFraction · m / 10` of the height (sign random).
  case translateYRelative
}

/// timm's RandAugment policy (`rand_augment_transform`, e.g. `rand-m9-n2-mstd0.5`): for each image,
/// `layers` operations are drawn uniformly with replacement; each is applied with `probability`, at
/// `magnitude` (optionally jittered by a normal of `magnitudeStandardDeviation`, or uniform in
/// `0 … magnitude` when that is infinite), clipped to `0 … magnitudeMaximum`.
public struct RandAugmentConfiguration: Equatable, Sendable {
  /// The number of operations drawn per image (timm's `n`).
  public var layers: Int
  /// The magnitude, 0 … 10 in timm's scale (timm's `m`).
  public var magnitude: Double
  /// The standard deviation of the magnitude's jitter (timm's `mstd`); infinity draws it uniformly.
  public var magnitudeStandardDeviation: Double
  /// The upper clip of the magnitude (timm's `mmax`, 10 by default).
  public var magnitudeMaximum: Double
  /// The probability of applying each drawn operation (timm's `p`).
  public var probability: Double
  /// Whether posterize, solarize and the enhance operations use timm's "increasing" variants (`inc1`).
  public var increasing: Bool
  /// The operations to draw from.
  public var operations: [RandAugmentOperation]
  /// The largest shift of the translate operations, as a fraction of the image side (timm's
  /// `translate_pct`, 0.45).
  public var translateFraction: Double
  /// How rotate, shear and translate resample.
  public var resampling: AugmentationResampling

  /// Creates a policy (defaults: 2 layers, magnitude 9, timm's other defaults, all 15 operations).
  public init(
    layers: Int = 2, magnitude: Double = 9, magnitudeStandardDeviation: Double = 0,
    magnitudeMaximum: Double = 10, probability: Double = 0.5, increasing: Bool = false,
    operations: [RandAugmentOperation] = RandAugmentOperation.allCases, translateFraction: Double = 0.45,
    resampling: AugmentationResampling = .bilinear
  ) {
    precondition(layers >= 0, "layers must not be negative, got \(layers)")
    precondition(!operations.isEmpty, "RandAugment needs at least one operation")
    precondition((0...1).contains(probability), "probability must be in 0...1, got \(probability)")
    self.layers = layers
    self.magnitude = magnitude
    self.magnitudeStandardDeviation = magnitudeStandardDeviation
    self.magnitudeMaximum = magnitudeMaximum
    self.probability = probability
    self.increasing = increasing
    self.operations = operations
    self.translateFraction = translateFraction
    self.resampling = resampling
  }

  /// Parses timm's configuration string: `rand` followed by `-m<int>` (magnitude, default 10),
  /// `-n<int>` (layers, default 2), `-mstd<float>` (above 100 means uniform), `-mmax<int>`,
  /// `-p<float>`, `-inc<0|1>`, in any order.
  ///
  /// - Throws: `RandAugmentSpecificationError` naming the string and the bad section.
  public init(timmSpecification specification: String) throws {
    var sections = specification.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard sections.first == "rand" else {
      throw RandAugmentSpecificationError(specification: specification, detail: "must start with \"rand\"")
    }
    sections.removeFirst()
    self.init(magnitude: 10)
    for section in sections {
      guard let digitStart = section.firstIndex(where: { $0.isNumber || $0 == "." }) else {
        throw RandAugmentSpecificationError(
          specification: specification, detail: "section \"\(section)\" has no value")
      }
      let key = String(section[..<digitStart]), text = String(section[digitStart...])
      guard let value = Double(text) else {
        throw RandAugmentSpecificationError(
          specification: specification, detail: "\"\(text)\" is not a number")
      }
      switch key {
      case "m": magnitude = value
      case "n" where value == value.rounded() && value >= 0: layers = Int(value)
      case "mstd": magnitudeStandardDeviation = value > 100 ? .infinity : value
      case "mmax": magnitudeMaximum = value
      case "p" where (0...1).contains(value): probability = value
      case "inc": increasing = value != 0
      default:
        throw RandAugmentSpecificationError(
          specification: specification, detail: "unknown or invalid section \"\(section)\"")
      }
    }
  }
}

/// A RandAugment configuration string that timm would not accept.
public struct RandAugmentSpecificationError: Error, Equatable, CustomStringConvertible {
  /// The string given.
  public var specification: String
  /// What is wrong with it.
  public var detail: String

  /// "RandAugment "rand-…": detail".
  public var description: String { "RandAugment \"\(specification)\": \(detail)" }
}

extension RandAugmentConfiguration {
  /// Applies the policy to one image: `layers` times, draws an operation (uniformly, with replacement),
  /// then whether to apply it, its magnitude jitter and its sign, all from `random`.
  ///
  /// - Parameters:
  ///   - image: An 8-bit image, changed in place.
  ///   - fill: The colour of uncovered pixels, one value per channel.
  ///   - random: The sample's random source.
  public func apply(to image: inout Preprocessor.SourceImage, fill: [UInt8], random: inout AugmentationRandom)
  {
    for _ in 0..<layers {
      let operation = operations[random.integer(in: 0...(operations.count - 1))]
      if probability < 1 && random.uniform() > probability { continue }
      var level = magnitude
      if magnitudeStandardDeviation == .infinity {
        level = random.uniform(in: 0...magnitude)
      } else if magnitudeStandardDeviation > 0 {
        level = random.normal(mean: magnitude, standardDeviation: magnitudeStandardDeviation)
      }
      level = max(0, min(level, magnitudeMaximum))
      apply(operation, level: level, to: &image, fill: fill, random: &random)
    }
  }

  /// Applies one operation at a magnitude (after jitter and clipping), drawing its sign when it has one.
  public func apply(
    _ operation: RandAugmentOperation, level: Double, to image: inout Preprocessor.SourceImage, fill: [UInt8],
    random: inout AugmentationRandom
  ) {
    let fraction = level / 10
    func signed(_ value: Double) -> Double { random.uniform() > 0.5 ? -value : value }
    func enhanceFactor() -> Double {
      increasing ? max(0.1, 1 + signed(fraction * 0.9)) : fraction * 1.8 + 0.1
    }
    switch operation {
    case .autoContrast: ImageOperations.autoContrast(&image)
    case .equalize: ImageOperations.equalize(&image)
    case .invert: ImageOperations.invert(&image)
    case .rotate:
      ImageOperations.rotate(&image, degrees: signed(fraction * 30), fill: fill, resampling: resampling)
    case .posterize:
      let bits = Int(fraction * 4)
      ImageOperations.posterize(&image, bitsToKeep: increasing ? 4 - bits : bits)
    case .solarize:
      let threshold = min(256, Int(fraction * 256))
      ImageOperations.solarize(&image, threshold: increasing ? 256 - threshold : threshold)
    case .solarizeAdd: ImageOperations.solarizeAdd(&image, addition: min(128, Int(fraction * 110)))
    case .color: ImageOperations.color(&image, factor: enhanceFactor())
    case .contrast: ImageOperations.contrast(&image, factor: enhanceFactor())
    case .brightness: ImageOperations.brightness(&image, factor: enhanceFactor())
    case .sharpness: ImageOperations.sharpness(&image, factor: enhanceFactor())
    case .shearX:
      ImageOperations.shearX(&image, factor: signed(fraction * 0.3), fill: fill, resampling: resampling)
    case .shearY:
      ImageOperations.shearY(&image, factor: signed(fraction * 0.3), fill: fill, resampling: resampling)
    case .translateXRelative:
      let pixels = signed(fraction * translateFraction) * Double(image.width)
      ImageOperations.translateX(&image, pixels: pixels, fill: fill, resampling: resampling)
    case .translateYRelative:
      let pixels = signed(fraction * translateFraction) * Double(image.height)
      ImageOperations.translateY(&image, pixels: pixels, fill: fill, resampling: resampling)
    }
  }
}
