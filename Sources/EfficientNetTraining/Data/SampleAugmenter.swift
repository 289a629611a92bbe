import EfficientNetCore
import EfficientNetImageIO

/// Turns one dataset image into one model input under an ``AugmentationConfiguration``.
///
/// Training draws its randomness from the given source in a fixed order (crop, flip, RandAugment);
/// with the loader's per-sample seeds, the result depends only on the seed, the epoch and the sample.
public struct SampleAugmenter: Sendable {
  /// The configuration.
  public let configuration: AugmentationConfiguration
  /// `(v / 255 − mean[c]) / std[c]` for every byte `v` and channel `c`: `table[v · C + c]`.
  private let normalization: [Float]
  /// The RandAugment fill colours of gray (index 0) and RGB (index 1) working images.
  private let fillColors: [[UInt8]]

  /// Prepares an augmenter.
  public init(configuration: AugmentationConfiguration) {
    self.configuration = configuration
    let channels = configuration.outputChannels
    var table = [Float](repeating: 0, count: 256 * channels)
    for value in 0..<256 {
      for channel in 0..<channels {
        table[value * channels + channel] =
          (Float(value) / 255 - configuration.mean[channel]) / configuration.standardDeviation[channel]
      }
    }
    normalization = table
    fillColors = [configuration.fillColor(channels: 1), configuration.fillColor(channels: 3)]
  }

  /// The augmented 8-bit image before normalization (training mode): cropped, resized to
  /// `resolution × resolution`, flipped and RandAugmented, with 1 channel (gray working image) or 3.
  ///
  /// - Parameters:
  ///   - image: `[H, W, C]` 8-bit pixels, `C` 1 or 3.
  ///   - random: The sample's random source.
  /// - Returns: `[R, R, C′]`, `C′` 1 when the image is gray or the model takes 1 channel, else 3.
  public func augmentedPixels(
    _ image: Preprocessor.SourceImage, random: inout AugmentationRandom
  ) -> Preprocessor.SourceImage {
    let resolution = configuration.resolution
    var working = image
    if configuration.outputChannels == 1 && image.channels == 3 {
      working = Preprocessor.SourceImage(
        pixels: image.pixels.withUnsafeBufferPointer { Preprocessor.grayscale(rgb: $0) }, width: image.width,
        height: image.height, channels: 1)
    }
    if let crop = configuration.randomResizedCrop {
      let region = crop.region(width: working.width, height: working.height, random: &random)
      if region.width != working.width || region.height != working.height {
        working = ImageOperations.crop(working, to: region)
      }
    }
    if working.width != resolution || working.height != resolution {
      let resized = working.pixels.withUnsafeBufferPointer {
        Preprocessor.resize(
          pixels: $0, width: working.width, height: working.height, channels: working.channels,
          toWidth: resolution, toHeight: resolution, interpolation: configuration.interpolation)
      }
      working = Preprocessor.SourceImage(
        pixels: resized, width: resolution, height: resolution, channels: working.channels)
    }
    if random.happens(probability: configuration.horizontalFlipProbability) {
      ImageOperations.flipHorizontally(&working)
    }
    if let policy = configuration.randAugment {
      policy.apply(to: &working, fill: fillColors[working.channels == 1 ? 0 : 1], random: &random)
    }
    return working
  }

  /// Writes one model input into caller-provided memory (one batch element).
  ///
  /// - Parameters:
  ///   - image: `[H, W, C]` 8-bit pixels, `C` 1 or 3.
  ///   - random: The sample's random source (unused in evaluation mode).
  ///   - output: `R × R × C_out` floats (HWC), overwritten.
  public func transform(
    _ image: Preprocessor.SourceImage, random: inout AugmentationRandom,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    let resolution = configuration.resolution, channels = configuration.outputChannels
    precondition(output.count == resolution * resolution * channels, "output holds \(output.count) floats")
    if configuration.mode == .evaluation {
      image.pixels.withUnsafeBufferPointer { pixels in
        Preprocessor.preprocess(
          pixels: pixels, width: image.width, height: image.height, channels: image.channels,
          configuration: configuration.preprocessing, outputChannels: channels, into: output)
      }
      return
    }
    let augmented = augmentedPixels(image, random: &random)
    normalize(augmented, into: output)
  }

  /// One model input as a tensor.
  ///
  /// - Returns: `[1, R, R, C_out]` (NHWC).
  public func transform(_ image: Preprocessor.SourceImage, random: inout AugmentationRandom) -> Tensor {
    let resolution = configuration.resolution
    var tensor = Tensor(zeros: [1, resolution, resolution, configuration.outputChannels])
    tensor.withUnsafeMutableBufferPointer { transform(image, random: &random, into: $0) }
    return tensor
  }

  /// Scales to `[0, 1]` and normalizes an `R × R` image, repeating gray in every output channel.
  public func normalize(_ image: Preprocessor.SourceImage, into output: UnsafeMutableBufferPointer<Float>) {
    let channels = configuration.outputChannels
    precondition(
      image.channels == channels || image.channels == 1, "cannot normalize \(image.channels) channels")
    precondition(output.count == image.width * image.height * channels, "output holds \(output.count) floats")
    let pixelCount = image.width * image.height
    normalization.withUnsafeBufferPointer { table in
      image.pixels.withUnsafeBufferPointer { pixels in
        if image.channels == channels {
          for index in 0..<(pixelCount * channels) {
            output[index] = table[Int(pixels[index]) &* channels &+ index % channels]
          }
        } else {
          for pixel in 0..<pixelCount {
            let entry = Int(pixels[pixel]) &* channels
            for channel in 0..<channels { output[pixel * channels + channel] = table[entry + channel] }
          }
        }
      }
    }
  }
}
