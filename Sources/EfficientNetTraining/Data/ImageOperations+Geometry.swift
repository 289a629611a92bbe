import EfficientNetImageIO
import Foundation

/// An affine map from output pixel positions to input positions, Pillow's `Image.AFFINE` data
/// `(a, b, c, d, e, f)`: output pixel `(x, y)` takes the input at `(a·x′ + b·y′ + c, d·x′ + e·y′ + f)`,
/// where `(x′, y′) = (x + 0.5, y + 0.5)` is the output pixel's center.
public struct AffineMap: Equatable, Sendable {
  /// The coefficients `a, b, c` (input x) and `d, e, f` (input y).
  public var a, b, c, d, e, f: Double

  /// Creates a map from its six coefficients.
  public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
    self.a = a
    self.b = b
    self.c = c
    self.d = d
    self.e = e
    self.f = f
  }

  /// The identity.
  public static let identity = AffineMap(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

  /// Pillow's `Image.rotate(degrees)` about the image center (`width / 2, height / 2`): counter-
  /// clockwise for positive angles, same size, with Pillow's cosine and sine rounded to 15 decimals.
  public static func rotation(degrees: Double, width: Int, height: Int) -> AffineMap {
    let angle = -degrees * Double.pi / 180
    let cosine = (cos(angle) * 1e15).rounded() / 1e15
    let sine = (sin(angle) * 1e15).rounded() / 1e15
    let centerX = Double(width) / 2, centerY = Double(height) / 2
    return AffineMap(
      a: cosine, b: sine, c: cosine * -centerX + sine * -centerY + centerX,
      d: -sine, e: cosine, f: -sine * -centerX + cosine * -centerY + centerY)
  }
}

extension ImageOperations {
  /// Mirrors the image left to right.
  public static func flipHorizontally(_ image: inout Preprocessor.SourceImage) {
    let width = image.width, channels = image.channels
    image.pixels.withUnsafeMutableBufferPointer { pixels in
      for row in 0..<image.height {
        var left = row * width, right = left + width - 1
        while left < right {
          for channel in 0..<channels { pixels.swapAt(left * channels + channel, right * channels + channel) }
          left += 1
          right -= 1
        }
      }
    }
  }

  /// The pixels of `region` (which must lie inside the image) as a new image.
  public static func crop(_ image: Preprocessor.SourceImage, to region: Preprocessor.Region)
    -> Preprocessor.SourceImage
  {
    precondition(
      region.x >= 0 && region.y >= 0 && region.width >= 1 && region.height >= 1
        && region.x + region.width <= image.width && region.y + region.height <= image.height,
      "crop \(region) outside the \(image.width)×\(image.height) image")
    let channels = image.channels
    let rowBytes = region.width * channels
    let pixels = [UInt8](unsafeUninitializedCapacity: rowBytes * region.height) { output, count in
      image.pixels.withUnsafeBufferPointer { source in
        guard let source = source.baseAddress, let output = output.baseAddress else { return }
        for row in 0..<region.height {
          let start = ((region.y + row) * image.width + region.x) * channels
          (output + row * rowBytes).update(from: source + start, count: rowBytes)
        }
      }
      count = rowBytes * region.height
    }
    return Preprocessor.SourceImage(
      pixels: pixels, width: region.width, height: region.height, channels: channels)
  }

  /// Rotates counter-clockwise by `degrees` about the center, keeping the size (Pillow's `rotate`).
  ///
  /// - Parameters:
  ///   - fill: The colour of uncovered pixels, one value per channel.
  ///   - resampling: Nearest or bilinear.
  public static func rotate(
    _ image: inout Preprocessor.SourceImage, degrees: Double, fill: [UInt8],
    resampling: AugmentationResampling
  ) {
    transform(
      &image, by: .rotation(degrees: degrees, width: image.width, height: image.height), fill: fill,
      resampling: resampling)
  }

  /// Shears horizontally: output `(x, y)` takes input `(x + factor · y, y)` (timm's `shear_x`).
  public static func shearX(
    _ image: inout Preprocessor.SourceImage, factor: Double, fill: [UInt8], resampling: AugmentationResampling
  ) {
    transform(
      &image, by: AffineMap(a: 1, b: factor, c: 0, d: 0, e: 1, f: 0), fill: fill, resampling: resampling)
  }

  /// Shears vertically: output `(x, y)` takes input `(x, factor · x + y)` (timm's `shear_y`).
  public static func shearY(
    _ image: inout Preprocessor.SourceImage, factor: Double, fill: [UInt8], resampling: AugmentationResampling
  ) {
    transform(
      &image, by: AffineMap(a: 1, b: 0, c: 0, d: factor, e: 1, f: 0), fill: fill, resampling: resampling)
  }

  /// Shifts the content left by `pixels` (output `x` takes input `x + pixels`; timm's `translate_x`).
  public static func translateX(
    _ image: inout Preprocessor.SourceImage, pixels: Double, fill: [UInt8], resampling: AugmentationResampling
  ) {
    transform(
      &image, by: AffineMap(a: 1, b: 0, c: pixels, d: 0, e: 1, f: 0), fill: fill, resampling: resampling)
  }

  /// Shifts the content up by `pixels` (output `y` takes input `y + pixels`; timm's `translate_y`).
  public static func translateY(
    _ image: inout Preprocessor.SourceImage, pixels: Double, fill: [UInt8], resampling: AugmentationResampling
  ) {
    transform(
      &image, by: AffineMap(a: 1, b: 0, c: 0, d: 0, e: 1, f: pixels), fill: fill, resampling: resampling)
  }

  /// Resamples the image through an affine map, keeping its size (Pillow's `Image.transform(size,
  /// AFFINE, data)`).
  ///
  /// An output pixel whose source position falls outside `[0, width) × [0, height)` gets `fill`.
  /// Nearest takes the input pixel containing the position; bilinear weighs the 4 pixel centers around
  /// it (edge pixels repeated) and truncates, as Pillow does.
  ///
  /// - Parameters:
  ///   - map: Output-to-input coordinates.
  ///   - fill: One value per channel.
  ///   - resampling: Nearest or bilinear.
  public static func transform(
    _ image: inout Preprocessor.SourceImage, by map: AffineMap, fill: [UInt8],
    resampling: AugmentationResampling
  ) {
    precondition(fill.count == image.channels, "fill needs \(image.channels) values, got \(fill.count)")
    let width = image.width, height = image.height, channels = image.channels
    let output = [UInt8](unsafeUninitializedCapacity: image.pixels.count) { output, count in
      image.pixels.withUnsafeBufferPointer { source in
        for y in 0..<height {
          let rowY = Double(y) + 0.5
          for x in 0..<width {
            let columnX = Double(x) + 0.5
            let inputX = map.a * columnX + map.b * rowY + map.c
            let inputY = map.d * columnX + map.e * rowY + map.f
            let target = (y * width + x) * channels
            guard inputX >= 0 && inputX < Double(width) && inputY >= 0 && inputY < Double(height) else {
              for channel in 0..<channels { output[target + channel] = fill[channel] }
              continue
            }
            if resampling == .nearest {
              let base = (Int(inputY) * width + Int(inputX)) * channels
              for channel in 0..<channels { output[target + channel] = source[base + channel] }
              continue
            }
            let sampleX = inputX - 0.5, sampleY = inputY - 0.5
            let floorX = sampleX.rounded(.down), floorY = sampleY.rounded(.down)
            let fractionX = sampleX - floorX, fractionY = sampleY - floorY
            let left = max(0, Int(floorX)), right = min(width - 1, Int(floorX) + 1)
            let top = max(0, Int(floorY)), bottom = min(height - 1, Int(floorY) + 1)
            for channel in 0..<channels {
              let topLeft = Double(source[(top * width + left) * channels + channel])
              let topRight = Double(source[(top * width + right) * channels + channel])
              let bottomLeft = Double(source[(bottom * width + left) * channels + channel])
              let bottomRight = Double(source[(bottom * width + right) * channels + channel])
              let upper = topLeft + fractionX * (topRight - topLeft)
              let lower = bottomLeft + fractionX * (bottomRight - bottomLeft)
              let value = upper + fractionY * (lower - upper)
              output[target + channel] = UInt8(max(0, min(255, value)))  // truncated, as Pillow does
            }
          }
        }
      }
      count = image.pixels.count
    }
    image.pixels = output
  }
}
