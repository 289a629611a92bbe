/// A decoded image: interleaved samples, row-major, top-left origin, EXIF orientation already applied.
///
/// Layout `[H, W, C]`: the sample of channel `c` at row `y`, column `x` is at `(y * width + x) * channels + c`
/// in `samples8` (when `bitDepth == 8`) or `samples16` (when `bitDepth == 16`); the other array is empty.
/// Channels are 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). Alpha is straight (not premultiplied).
public struct DecodedImage: Sendable, Equatable {
  /// Pixels per row (W).
  public var width: Int
  /// Rows (H).
  public var height: Int
  /// Samples per pixel (C): 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
  public var channels: Int
  /// Bits per sample: 8 or 16.
  public var bitDepth: Int
  /// The samples when `bitDepth == 8`, `[H, W, C]`; empty otherwise.
  public var samples8: [UInt8]
  /// The samples when `bitDepth == 16`, `[H, W, C]`, full range 0...65535; empty otherwise.
  public var samples16: [UInt16]

  /// An 8-bit image.
  /// - Parameters:
  ///   - width: Pixels per row (W), at least 0.
  ///   - height: Rows (H), at least 0.
  ///   - channels: Samples per pixel (C), 1 to 4.
  ///   - samples: `[H, W, C]` interleaved samples; exactly `width * height * channels` of them.
  public init(width: Int, height: Int, channels: Int, samples8 samples: [UInt8]) {
    precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "invalid image dimensions")
    precondition(samples.count == width * height * channels, "sample count does not match H×W×C")
    self.width = width
    self.height = height
    self.channels = channels
    self.bitDepth = 8
    self.samples8 = samples
    self.samples16 = []
  }

  /// A 16-bit image.
  /// - Parameters:
  ///   - width: Pixels per row (W), at least 0.
  ///   - height: Rows (H), at least 0.
  ///   - channels: Samples per pixel (C), 1 to 4.
  ///   - samples: `[H, W, C]` interleaved samples; exactly `width * height * channels` of them.
  public init(width: Int, height: Int, channels: Int, samples16 samples: [UInt16]) {
    precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "invalid image dimensions")
    precondition(samples.count == width * height * channels, "sample count does not match H×W×C")
    self.width = width
    self.height = height
    self.channels = channels
    self.bitDepth = 16
    self.samples8 = []
    self.samples16 = samples
  }

  /// Whether the image has an alpha channel (C is 2 or 4).
  public var hasAlpha: Bool { channels == 2 || channels == 4 }

  /// Number of pixels, `width * height`.
  public var pixelCount: Int { width * height }
}

/// How 16-bit gray samples become 8-bit ones in `DecodedImage.convertedToRGB8(sixteenBitGray:)`.
public enum SixteenBitGrayReduction: Sendable, Equatable {
  /// `min(value, 255)`: what Pillow's `Image.open(path).convert("RGB")` does for a 16-bit gray PNG (mode
  /// "I;16"). Only values 0...255 survive, so real 16-bit images turn almost entirely white; use it for
  /// parity with pipelines that load images with Pillow.
  case clampLikePillow
  /// `value >> 8`, the high byte: keeps the full range (Pillow does this for 16-bit RGB, RGBA and gray +
  /// alpha PNGs).
  case highByte
}

extension DecodedImage {
  /// The image as 8-bit RGB, `[H, W, 3]`, matching Pillow's `Image.open(path).convert("RGB")`.
  ///
  /// Gray is replicated into R, G and B; alpha is dropped, not composited (as Pillow does). 16-bit RGB,
  /// RGBA and gray + alpha keep their high byte (as Pillow does when it opens such PNGs); 16-bit gray
  /// follows `sixteenBitGray`.
  /// - Parameter sixteenBitGray: How 16-bit gray without alpha becomes 8-bit; by default like Pillow
  ///   (values above 255 become 255).
  /// - Returns: An image with `channels == 3` and `bitDepth == 8` (`self` when it already is one).
  public func convertedToRGB8(sixteenBitGray: SixteenBitGrayReduction = .clampLikePillow) -> DecodedImage {
    if channels == 3 && bitDepth == 8 { return self }
    let pixels = pixelCount
    let inputChannels = channels
    let output = [UInt8](unsafeUninitializedCapacity: pixels * 3) { destination, initializedCount in
      guard let target = destination.baseAddress else { return }
      if bitDepth == 8 {
        samples8.withUnsafeBufferPointer { source in
          guard let input = source.baseAddress else { return }
          Self.expandToRGB(input, channels: inputChannels, pixels: pixels, into: target) { $0 }
        }
      } else {
        samples16.withUnsafeBufferPointer { source in
          guard let input = source.baseAddress else { return }
          if inputChannels == 1 && sixteenBitGray == .clampLikePillow {
            Self.expandToRGB(input, channels: 1, pixels: pixels, into: target) {
              UInt8(truncatingIfNeeded: min($0, 255))
            }
          } else {
            Self.expandToRGB(input, channels: inputChannels, pixels: pixels, into: target) {
              UInt8(truncatingIfNeeded: $0 >> 8)
            }
          }
        }
      }
      initializedCount = pixels * 3
    }
    return DecodedImage(width: width, height: height, channels: 3, samples8: output)
  }

  /// Writes `pixels` RGB triples from `[N, channels]` samples: gray is replicated, alpha skipped, each
  /// sample passed through `reduce`. One loop per channel count, so each inner loop is branch-free.
  @inline(__always)
  private static func expandToRGB<Sample>(
    _ input: UnsafePointer<Sample>, channels: Int, pixels: Int, into output: UnsafeMutablePointer<UInt8>,
    _ reduce: (Sample) -> UInt8
  ) {
    switch channels {
    case 1, 2:
      for pixel in 0..<pixels {
        let gray = reduce(input[pixel * channels])
        output[3 * pixel] = gray
        output[3 * pixel + 1] = gray
        output[3 * pixel + 2] = gray
      }
    default:
      for pixel in 0..<pixels {
        output[3 * pixel] = reduce(input[pixel * channels])
        output[3 * pixel + 1] = reduce(input[pixel * channels + 1])
        output[3 * pixel + 2] = reduce(input[pixel * channels + 2])
      }
    }
  }

  /// The image as 16-bit gray, `[H, W, 1]`, keeping all the precision a 16-bit file has (for medical
  /// images).
  ///
  /// 16-bit gray is returned as is; 8-bit gray is scaled by 257 (so 255 becomes 65535); colour uses the
  /// ITU-R BT.601 luma weights that Pillow's `convert("L")` uses (0.299 R + 0.587 G + 0.114 B, rounded),
  /// computed at 16 bits. Alpha is dropped.
  /// - Returns: An image with `channels == 1` and `bitDepth == 16`.
  public func luminance16() -> DecodedImage {
    let pixels = pixelCount
    var output = [UInt16](repeating: 0, count: pixels)
    let scale: UInt64 = bitDepth == 8 ? 257 : 1
    output.withUnsafeMutableBufferPointer { destination in
      func fill(_ sample: (Int) -> UInt64) {
        for pixel in 0..<pixels {
          let base = pixel * channels
          if channels <= 2 {
            destination[pixel] = UInt16(sample(base) * scale)
          } else {
            // Weights scaled by 2^16: 19595 + 38470 + 7471 = 65536.
            let red = sample(base) * scale
            let green = sample(base + 1) * scale
            let blue = sample(base + 2) * scale
            destination[pixel] = UInt16((red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16)
          }
        }
      }
      if bitDepth == 8 {
        samples8.withUnsafeBufferPointer { source in fill { UInt64(source[$0]) } }
      } else {
        samples16.withUnsafeBufferPointer { source in fill { UInt64(source[$0]) } }
      }
    }
    return DecodedImage(width: width, height: height, channels: 1, samples16: output)
  }
}
