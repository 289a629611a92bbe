import EfficientNetCore

/// Turns decoded 8-bit images into model inputs exactly as timm's evaluation transform does on PIL
/// images: `Resize(floor(resolution / crop_pct), BICUBIC)` on the shorter side, `CenterCrop(resolution)`,
/// `ToTensor`, `Normalize(mean, std)`.
///
/// The resize is bit-identical to Pillow's; the crop follows torchvision (rounded-center offsets with
/// Python's round-half-to-even, zero padding where the crop exceeds the image); scaling and
/// normalization are the same float32 operations as torchvision's, so the result matches torchvision's
/// tensor to the last bit. Only the pixels the crop keeps are resized.
public enum Preprocessor {
  /// A decoded image: interleaved 8-bit pixels and their layout.
  public struct SourceImage: Equatable, Sendable {
    /// `height × width × channels` bytes (HWC, RGB order for 3 channels).
    public var pixels: [UInt8]
    /// The width in pixels.
    public var width: Int
    /// The height in pixels.
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int

    /// Creates an image from its pixels.
    ///
    /// - Parameters:
    ///   - pixels: `height × width × channels` bytes, interleaved.
    ///   - width: At least 1.
    ///   - height: At least 1.
    ///   - channels: 1 or 3.
    public init(pixels: [UInt8], width: Int, height: Int, channels: Int) {
      precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
      precondition(width >= 1 && height >= 1, "image size must be positive, got \(width)×\(height)")
      precondition(
        pixels.count == width * height * channels, "\(pixels.count) bytes for \(width)×\(height)×\(channels)")
      self.pixels = pixels
      self.width = width
      self.height = height
      self.channels = channels
    }
  }

  /// Preprocesses one image into a model input.
  ///
  /// A gray image given to a 3-channel model is repeated in every channel (Pillow's
  /// `convert("RGB")`); an RGB image given to a 1-channel model is first converted to luma (Pillow's
  /// `convert("L")`), both as timm's loader would.
  ///
  /// - Parameters:
  ///   - pixels: `height × width × channels` bytes (HWC, interleaved).
  ///   - width: The image width, at least 1.
  ///   - height: The image height, at least 1.
  ///   - channels: 1 (gray) or 3 (RGB).
  ///   - configuration: Resolution, crop fraction, filter and normalization.
  ///   - outputChannels: The model's input channels, 1 or 3; `configuration.mean` needs as many values.
  /// - Returns: `[1, R, R, C]` (NHWC) with `R = configuration.resolution`, `C = outputChannels`.
  public static func preprocess(
    pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
    configuration: PreprocessingConfiguration, outputChannels: Int = 3
  ) -> Tensor {
    let resolution = configuration.resolution
    var tensor = Tensor(zeros: [1, resolution, resolution, outputChannels])
    tensor.withUnsafeMutableBufferPointer { output in
      preprocess(
        pixels: pixels, width: width, height: height, channels: channels, configuration: configuration,
        outputChannels: outputChannels, into: output)
    }
    return tensor
  }

  /// Preprocesses a batch of images (of any sizes) into one input tensor.
  ///
  /// - Parameters:
  ///   - images: The images, in batch order.
  ///   - configuration: Resolution, crop fraction, filter and normalization.
  ///   - outputChannels: The model's input channels, 1 or 3.
  /// - Returns: `[N, R, R, C]` (NHWC), image `n` at batch index `n`.
  public static func preprocessBatch(
    _ images: [SourceImage], configuration: PreprocessingConfiguration, outputChannels: Int = 3
  ) -> Tensor {
    let resolution = configuration.resolution
    let imageCount = resolution * resolution * outputChannels
    var tensor = Tensor(zeros: [images.count, resolution, resolution, outputChannels])
    tensor.withUnsafeMutableBufferPointer { output in
      for (index, image) in images.enumerated() {
        image.pixels.withUnsafeBufferPointer { pixels in
          preprocess(
            pixels: pixels, width: image.width, height: image.height, channels: image.channels,
            configuration: configuration, outputChannels: outputChannels,
            into: UnsafeMutableBufferPointer(
              rebasing: output[(index * imageCount)..<((index + 1) * imageCount)]))
        }
      }
    }
    return tensor
  }

  /// Preprocesses one image into caller-provided memory (one batch element).
  ///
  /// - Parameters: as for ``preprocess(pixels:width:height:channels:configuration:outputChannels:)``.
  /// - Parameter output: `R × R × C` floats (HWC), overwritten.
  public static func preprocess(
    pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int,
    configuration: PreprocessingConfiguration, outputChannels: Int,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(
      outputChannels == 1 || outputChannels == 3, "outputChannels must be 1 or 3, got \(outputChannels)")
    precondition(
      configuration.mean.count == outputChannels,
      "\(configuration.mean.count) mean values for \(outputChannels) output channels")
    precondition(configuration.resizeSize >= 1, "resolution / cropFraction must be at least 1")
    let resolution = configuration.resolution
    precondition(
      output.count == resolution * resolution * outputChannels, "output holds \(output.count) floats")
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    precondition(width >= 1 && height >= 1, "image size must be positive, got \(width)×\(height)")
    precondition(
      pixels.count >= width * height * channels, "\(pixels.count) bytes for \(width)×\(height)×\(channels)")

    // Pillow's convert("L") comes first, when a 1-channel model gets an RGB image.
    var gray: [UInt8] = []
    if channels == 3 && outputChannels == 1 {
      gray = grayscale(rgb: UnsafeBufferPointer(rebasing: pixels[0..<(width * height * 3)]))
    }
    let workingChannels = gray.isEmpty ? channels : 1

    let resized = resizedSize(width: width, height: height, shorterSide: configuration.resizeSize)
    let columns = CropPlacement(length: resized.width, crop: resolution)
    let rows = CropPlacement(length: resized.height, crop: resolution)
    let region = Region(x: columns.start, y: rows.start, width: columns.count, height: rows.count)
    let cropped = { (source: UnsafeBufferPointer<UInt8>) in
      resize(
        pixels: source, width: width, height: height, channels: workingChannels, toWidth: resized.width,
        toHeight: resized.height, interpolation: configuration.interpolation, keeping: region)
    }
    let kept = gray.isEmpty ? cropped(pixels) : gray.withUnsafeBufferPointer(cropped)

    writeNormalized(
      kept, columns: columns, rows: rows, channels: workingChannels, configuration: configuration,
      outputChannels: outputChannels, into: output)
  }
}

/// Where torchvision's `CenterCrop` takes a crop along one axis of the resized image.
struct CropPlacement {
  /// The first resized pixel kept.
  let start: Int
  /// How many resized pixels are kept.
  let count: Int
  /// The zero pixels before the kept ones in the crop.
  let padding: Int

  /// The placement of a `crop`-pixel crop on an axis of `length` pixels.
  ///
  /// A larger crop pads with `(crop - length) / 2` zeros before (the rest after); a smaller one
  /// starts at `round((length - crop) / 2)`, rounding halves to even as Python's `round` does.
  init(length: Int, crop: Int) {
    if crop > length {
      start = 0
      count = length
      padding = (crop - length) / 2
    } else {
      start = Int((Double(length - crop) / 2).rounded(.toNearestOrEven))
      count = crop
      padding = 0
    }
  }
}
