import EfficientNetImageIO

/// Pixel operations on 8-bit images (`[H, W, C]`, `C` 1 or 3): the building blocks of augmentation.
///
/// The colour operations follow the definitions of Pillow's `ImageOps` and `ImageEnhance` (which timm's
/// RandAugment calls); the geometric ones follow Pillow's affine `Image.transform` convention. On the
/// test images (`Fixtures/data/pillow_operations.json`) every result equals Pillow 13's bit for bit.
/// Each operation changes the image in place.
public enum ImageOperations {
  /// Inverts every sample: `255 − v`.
  public static func invert(_ image: inout Preprocessor.SourceImage) {
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      for index in pixels.indices { pixels[index] = 255 &- pixels[index] }
    }
  }

  /// Keeps the `bitsToKeep` most significant bits of every sample (Pillow's `ImageOps.posterize`);
  /// 8 or more keeps the image, 0 makes it black.
  public static func posterize(_ image: inout Preprocessor.SourceImage, bitsToKeep: Int) {
    guard bitsToKeep < 8 else { return }
    let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - max(0, bitsToKeep)))
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      for index in pixels.indices { pixels[index] &= mask }
    }
  }

  /// Inverts the samples at or above `threshold` (Pillow's `ImageOps.solarize`: `v < t ? v : 255 − v`);
  /// a threshold of 256 or more keeps the image.
  public static func solarize(_ image: inout Preprocessor.SourceImage, threshold: Int) {
    applyTable(&image, table: (0..<256).map { $0 < threshold ? UInt8($0) : UInt8(255 - $0) })
  }

  /// Adds `addition` to the samples below `threshold`, clipping at 255 (timm's `solarize_add`).
  public static func solarizeAdd(_ image: inout Preprocessor.SourceImage, addition: Int, threshold: Int = 128)
  {
    applyTable(
      &image, table: (0..<256).map { $0 < threshold ? UInt8(max(0, min(255, $0 + addition))) : UInt8($0) })
  }

  /// Stretches each channel so its darkest sample becomes 0 and its brightest 255 (Pillow's
  /// `ImageOps.autocontrast` without cutoff: `v ↦ int((v − lo) · 255 / (hi − lo))`); a channel with a
  /// single value is kept.
  public static func autoContrast(_ image: inout Preprocessor.SourceImage) {
    let histograms = histogram(image)
    let tables = histograms.map { counts -> [UInt8] in
      guard let low = counts.firstIndex(where: { $0 > 0 }), let high = counts.lastIndex(where: { $0 > 0 }),
        high > low
      else { return (0..<256).map { UInt8($0) } }
      let scale = 255 / Double(high - low)
      let offset = -Double(low) * scale
      return (0..<256).map { UInt8(max(0, min(255, Int(Double($0) * scale + offset)))) }
    }
    applyTables(&image, tables: tables)
  }

  /// Equalizes each channel's histogram (Pillow's `ImageOps.equalize`): with `step = (N − n_last) / 256`
  /// (`n_last` the count of the brightest value present), value `i` becomes
  /// `(step / 2 + Σ_{j<i} n_j) / step`; a channel with one value, or a zero step, is kept.
  public static func equalize(_ image: inout Preprocessor.SourceImage) {
    let histograms = histogram(image)
    let tables = histograms.map { counts -> [UInt8] in
      let present = counts.filter { $0 > 0 }
      guard present.count > 1, let last = present.last else { return (0..<256).map { UInt8($0) } }
      let step = (present.reduce(0, +) - last) / 256
      guard step > 0 else { return (0..<256).map { UInt8($0) } }
      var running = step / 2
      return (0..<256).map { value in
        defer { running += counts[value] }
        return UInt8(min(255, running / step))
      }
    }
    applyTables(&image, tables: tables)
  }

  /// Blends towards the image's gray version (Pillow's `ImageEnhance.Color`): 0 gives gray, 1 the
  /// image, above 1 more saturated. Gray images are kept.
  public static func color(_ image: inout Preprocessor.SourceImage, factor: Double) {
    guard image.channels == 3 else { return }
    let gray = image.pixels.withUnsafeBufferPointer { Preprocessor.grayscale(rgb: $0) }
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      let weight = Float(factor)
      for pixel in 0..<gray.count {
        let degenerate = Float(gray[pixel])
        for channel in 0..<3 {
          pixels[3 * pixel + channel] = blended(degenerate, Float(pixels[3 * pixel + channel]), weight)
        }
      }
    }
  }

  /// Blends towards a uniform gray at the image's mean luma, `int(mean + 0.5)` (Pillow's
  /// `ImageEnhance.Contrast`): 0 gives that gray, 1 the image.
  public static func contrast(_ image: inout Preprocessor.SourceImage, factor: Double) {
    let luma =
      image.channels == 3
      ? image.pixels.withUnsafeBufferPointer { Preprocessor.grayscale(rgb: $0) } : image.pixels
    let mean = Double(luma.reduce(0) { $0 + Int($1) }) / Double(max(1, luma.count))
    blend(&image, constant: Float(Int(mean + 0.5)), factor: factor)
  }

  /// Scales every sample by `factor`, clipping at 255 (Pillow's `ImageEnhance.Brightness`: a blend
  /// with black).
  public static func brightness(_ image: inout Preprocessor.SourceImage, factor: Double) {
    blend(&image, constant: 0, factor: factor)
  }

  /// Blends with a smoothed copy (Pillow's `ImageEnhance.Sharpness`): 0 gives the smoothed image, 1
  /// the image, above 1 sharper. The smoothing is Pillow's `SMOOTH` 3 × 3 kernel (1 1 1 / 1 5 1 / 1 1 1,
  /// divided by 13, rounded) and leaves the border pixels as they are.
  public static func sharpness(_ image: inout Preprocessor.SourceImage, factor: Double) {
    let width = image.width, height = image.height, channels = image.channels
    guard width >= 3 && height >= 3 else { return }
    let source = image.pixels
    let rowLength = width * channels
    let weight = Float(factor)
    source.withUnsafeBufferPointer { source in
      image.pixels.withUnsafeMutableBufferPointer { pixels in
        for y in 1..<(height - 1) {
          for x in 1..<(width - 1) {
            for channel in 0..<channels {
              let center = (y * width + x) * channels + channel
              let above = center - rowLength, below = center + rowLength
              let sum =
                Int(source[above - channels]) + Int(source[above]) + Int(source[above + channels])
                + Int(source[center - channels]) + 5 * Int(source[center]) + Int(source[center + channels])
                + Int(source[below - channels]) + Int(source[below]) + Int(source[below + channels])
              let smoothed = Float((sum + 6) / 13)
              pixels[center] = blended(smoothed, Float(source[center]), weight)
            }
          }
        }
      }
    }
  }

  /// Pillow's `Image.blend(degenerate, image, factor)` for one sample: `degenerate + factor ·
  /// (image − degenerate)` in float32, truncated and clipped to 0 … 255.
  @inline(__always)
  static func blended(_ degenerate: Float, _ value: Float, _ factor: Float) -> UInt8 {
    let result = degenerate + factor * (value - degenerate)
    if result <= 0 { return 0 }
    if result >= 255 { return 255 }
    return UInt8(result)
  }

  /// Blends every sample with a constant.
  private static func blend(_ image: inout Preprocessor.SourceImage, constant: Float, factor: Double) {
    let weight = Float(factor)
    let table = (0..<256).map { blended(constant, Float($0), weight) }
    applyTable(&image, table: table)
  }

  /// The 256-bin histogram of each channel.
  static func histogram(_ image: Preprocessor.SourceImage) -> [[Int]] {
    let channels = image.channels
    var counts = [[Int]](repeating: [Int](repeating: 0, count: 256), count: channels)
    image.pixels.withUnsafeBufferPointer { pixels in
      for channel in 0..<channels {
        counts[channel].withUnsafeMutableBufferPointer { histogram in
          for index in stride(from: channel, to: pixels.count, by: channels) {
            histogram[Int(pixels[index])] &+= 1
          }
        }
      }
    }
    return counts
  }

  /// Maps every sample through one 256-entry table.
  static func applyTable(_ image: inout Preprocessor.SourceImage, table: [UInt8]) {
    table.withUnsafeBufferPointer { table in
      image.pixels.withUnsafeMutableBufferPointer { pixels in
        for index in pixels.indices { pixels[index] = table[Int(pixels[index])] }
      }
    }
  }

  /// Maps each channel's samples through its own 256-entry table.
  static func applyTables(_ image: inout Preprocessor.SourceImage, tables: [[UInt8]]) {
    let channels = image.channels
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      for channel in 0..<channels {
        tables[channel].withUnsafeBufferPointer { table in
          for index in stride(from: channel, to: pixels.count, by: channels) {
            pixels[index] = table[Int(pixels[index])]
          }
        }
      }
    }
  }
}
