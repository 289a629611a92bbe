import EfficientNetImageIO

/// Draws heat maps as colours blended over images.
public enum HeatMapRenderer {
  /// The colour ramp's stops, from cold (0) to hot (1): dark blue, blue, cyan, yellow, red, dark red
  /// (a jet-like ramp), as RGB in [0, 1].
  static let stops: [(position: Float, colour: SIMD3<Float>)] = [
    (0, SIMD3(0, 0, 0.5)), (0.125, SIMD3(0, 0, 1)), (0.375, SIMD3(0, 1, 1)), (0.625, SIMD3(1, 1, 0)),
    (0.875, SIMD3(1, 0, 0)), (1, SIMD3(0.5, 0, 0)),
  ]

  /// The ramp's colour for a heat value, RGB in [0, 1].
  ///
  /// - Parameter value: The heat, clamped to [0, 1] (NaN counts as 0).
  public static func colour(for value: Float) -> SIMD3<Float> {
    let heat = value.isNaN ? 0 : min(max(value, 0), 1)
    for index in 1..<stops.count where heat <= stops[index].position {
      let (start, end) = (stops[index - 1], stops[index])
      let fraction = (heat - start.position) / (end.position - start.position)
      return start.colour + (end.colour - start.colour) * fraction
    }
    return stops[stops.count - 1].colour
  }

  /// Blends the heat map's colours over the image: `(1 − alpha) · pixel + alpha · colour` where the
  /// model saw the image; the pixels outside the crop are darkened to half their brightness instead.
  ///
  /// - Parameters:
  ///   - heatMap: Values for the image's pixels (same width and height).
  ///   - image: The original image, any channels and bit depth (converted to 8-bit RGB first).
  ///   - alpha: The colour's weight, in [0, 1].
  /// - Returns: An 8-bit RGB image `[H, W, 3]`.
  public static func overlay(_ heatMap: ImageHeatMap, on image: DecodedImage, alpha: Float) -> DecodedImage {
    precondition(
      heatMap.width == image.width && heatMap.height == image.height,
      "heat map \(heatMap.width)×\(heatMap.height) for a \(image.width)×\(image.height) image")
    precondition(alpha >= 0 && alpha <= 1, "alpha must be in [0, 1], got \(alpha)")
    let source = image.convertedToRGB8(sixteenBitGray: .highByte).samples8
    var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
    for y in 0..<image.height {
      for x in 0..<image.width {
        let index = y * image.width + x
        let original = SIMD3<Float>(
          Float(source[3 * index]), Float(source[3 * index + 1]), Float(source[3 * index + 2]))
        let blended =
          heatMap.covers(x: x, y: y)
          ? original * (1 - alpha) + colour(for: heatMap.values[index]) * (255 * alpha)
          : original * 0.5
        for channel in 0..<3 {
          pixels[3 * index + channel] = UInt8(min(max(blended[channel].rounded(), 0), 255))
        }
      }
    }
    return DecodedImage(width: image.width, height: image.height, channels: 3, samples8: pixels)
  }
}
