/// Resizing as Pillow's `Image.resize` does it, and torchvision's `Resize` size rule.
extension Preprocessor {
  /// A rectangle of pixels: columns `x ..< x + width`, rows `y ..< y + height`.
  public struct Region: Equatable, Sendable {
    /// The first column.
    public var x: Int
    /// The first row.
    public var y: Int
    /// The number of columns.
    public var width: Int
    /// The number of rows.
    public var height: Int

    /// Creates a region from its top-left corner and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
      self.x = x
      self.y = y
      self.width = width
      self.height = height
    }
  }

  /// Resizes an 8-bit image exactly as Pillow's `Image.resize(size, BICUBIC or BILINEAR)` does.
  ///
  /// Separable and antialiased (the filter widens with the downscale factor): a horizontal pass,
  /// then a vertical pass, each with Pillow's 22-bit fixed-point coefficients, rounded and clipped
  /// to 8 bits; the result is bit-identical to Pillow's. Only the pixels of `region` are computed
  /// (rows and columns outside it cost nothing), and they equal the same pixels of the full resize.
  ///
  /// - Parameters:
  ///   - pixels: `height × width × channels` bytes (HWC, interleaved).
  ///   - width: The input width, at least 1.
  ///   - height: The input height, at least 1.
  ///   - channels: 1 (gray) or 3 (RGB).
  ///   - toWidth: The output width, at least 1.
  ///   - toHeight: The output height, at least 1.
  ///   - interpolation: The filter.
  ///   - region: The part of the `toHeight × toWidth` output to return; `nil` for all of it.
  /// - Returns: `region.height × region.width × channels` bytes (HWC).
  public static func resize(
    pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int,
    interpolation: Interpolation, keeping region: Region? = nil
  ) -> [UInt8] {
    let region = region ?? Region(x: 0, y: 0, width: toWidth, height: toHeight)
    checkResize(pixels.count, width, height, channels, toWidth, toHeight, region)
    return [UInt8](unsafeUninitializedCapacity: region.width * region.height * channels) { buffer, count in
      Resampler.resize(
        source: pixels, width: width, height: height, channels: channels, outputWidth: toWidth,
        outputHeight: toHeight, interpolation: interpolation, region: region, into: buffer)
      count = region.width * region.height * channels
    }
  }

  /// The size torchvision's `Resize(size)` gives an image: its shorter side becomes `shorterSide` and
  /// its longer side `int(shorterSide * long / short)` (truncated), so the aspect ratio is kept.
  ///
  /// - Parameters:
  ///   - width: The image width, at least 1.
  ///   - height: The image height, at least 1.
  ///   - shorterSide: The new length of the shorter side (the width when the sides are equal).
  /// - Returns: The new width and height.
  public static func resizedSize(width: Int, height: Int, shorterSide: Int) -> (width: Int, height: Int) {
    precondition(width >= 1 && height >= 1 && shorterSide >= 1, "sizes must be positive")
    let (short, long) = width <= height ? (width, height) : (height, width)
    // Python's `int * int / int` is a correctly rounded float division, then int() truncates.
    let newLong = Int(Double(shorterSide * long) / Double(short))
    return width <= height ? (shorterSide, newLong) : (newLong, shorterSide)
  }

  /// Converts interleaved RGB to gray as Pillow's `convert("L")` does: ITU-R 601-2 luma
  /// (0.299 R + 0.587 G + 0.114 B) in 16-bit fixed point, rounded.
  ///
  /// - Parameter pixels: `3 × pixelCount` bytes, RGB interleaved.
  /// - Returns: `pixelCount` gray bytes.
  public static func grayscale(rgb pixels: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    precondition(pixels.count % 3 == 0, "RGB pixels must come in threes, got \(pixels.count) bytes")
    let count = pixels.count / 3
    return [UInt8](unsafeUninitializedCapacity: count) { gray, initialized in
      for pixel in 0..<count {
        let red = UInt32(pixels[3 * pixel]), green = UInt32(pixels[3 * pixel + 1])
        let blue = UInt32(pixels[3 * pixel + 2])
        gray[pixel] = UInt8(truncatingIfNeeded: (red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16)
      }
      initialized = count
    }
  }

  /// Checks the arguments of a resize (programmer errors: the decoder guarantees them).
  static func checkResize(
    _ count: Int, _ width: Int, _ height: Int, _ channels: Int, _ toWidth: Int, _ toHeight: Int,
    _ region: Region
  ) {
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    precondition(width >= 1 && height >= 1, "input size must be positive, got \(width)×\(height)")
    precondition(toWidth >= 1 && toHeight >= 1, "output size must be positive, got \(toWidth)×\(toHeight)")
    precondition(
      count >= width * height * channels, "\(count) bytes for a \(width)×\(height)×\(channels) image")
    precondition(
      region.x >= 0 && region.y >= 0 && region.width >= 0 && region.height >= 0
        && region.x + region.width <= toWidth && region.y + region.height <= toHeight,
      "region \(region) outside the \(toWidth)×\(toHeight) output")
  }
}
