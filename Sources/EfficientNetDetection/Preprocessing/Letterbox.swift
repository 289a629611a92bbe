import EfficientNetCore
import EfficientNetImageIO

/// effdet's evaluation preprocessing (`ResizePad`): scale the image by `min(H/h, W/w)` so it fits
/// the detector's input (sizes truncated), resize with Pillow's bilinear filter, paste it at the
/// top-left of a canvas filled with the mean colour, normalize `(pixel − 255·mean) / (255·std)`.
public struct Letterbox: Equatable, Sendable {
  /// The detector's input height and width.
  public var height: Int, width: Int
  /// The per-channel mean and standard deviation (on 0…1 values).
  public var mean: [Float], standardDeviation: [Float]
  /// The resize filter (effdet's evaluation: bilinear).
  public var interpolation = Interpolation.bilinear

  /// The letterbox for `configuration`'s input size and normalization.
  public init(configuration: DetectorConfiguration) {
    height = configuration.inputHeight
    width = configuration.inputWidth
    mean = configuration.mean
    standardDeviation = configuration.standardDeviation
  }

  /// The canvas colour: `round(255 · mean)` per channel, ties to even as Python rounds.
  public var fillColor: [UInt8] {
    mean.map { UInt8((Double($0) * 255).rounded(.toNearestOrEven)) }
  }

  /// The scale from the image to the input, and the scaled size, for a `imageWidth`×`imageHeight` image.
  public func scaling(imageWidth: Int, imageHeight: Int) -> (scale: Double, width: Int, height: Int) {
    let scale = min(Double(height) / Double(imageHeight), Double(width) / Double(imageWidth))
    return (scale, max(1, Int(Double(imageWidth) * scale)), max(1, Int(Double(imageHeight) * scale)))
  }

  /// The 8-bit canvas, `[H, W, 3]`: the resized image at the top-left, the fill colour elsewhere.
  public func canvas(_ image: DecodedImage) -> [UInt8] {
    let source = image.convertedToRGB8()
    let fitted = scaling(imageWidth: source.width, imageHeight: source.height)
    let resized = source.samples8.withUnsafeBufferPointer {
      Preprocessor.resize(
        pixels: $0, width: source.width, height: source.height, channels: 3, toWidth: fitted.width,
        toHeight: fitted.height, interpolation: interpolation)
    }
    let fill = fillColor
    var canvas = [UInt8](repeating: 0, count: height * width * 3)
    for row in 0..<height {
      for column in 0..<width {
        let target = (row * width + column) * 3
        if row < fitted.height && column < fitted.width {
          let from = (row * fitted.width + column) * 3
          canvas[target..<target + 3] = resized[from..<from + 3]
        } else {
          canvas[target..<target + 3] = fill[0..<3]
        }
      }
    }
    return canvas
  }

  /// The detector's input for `image`, NHWC `[1, H, W, 3]`, and the scale from the image to it.
  public func input(_ image: DecodedImage) -> (tensor: Tensor, scale: Double) {
    let source = image.convertedToRGB8()
    let scale = scaling(imageWidth: source.width, imageHeight: source.height).scale
    return (Tensor(shape: [1, height, width, 3], values: normalized(canvas(source))), scale)
  }

  /// An 8-bit RGB canvas normalized as effdet's prefetcher does: `(pixel − 255·mean) / (255·std)`.
  public func normalized(_ pixels: [UInt8]) -> [Float] {
    let means = mean.map { $0 * 255 }
    let deviations = standardDeviation.map { $0 * 255 }
    return pixels.indices.map { index in
      let channel = index % 3
      return (Float(pixels[index]) - means[channel]) / deviations[channel]
    }
  }
}
