/// The naive twin of ``Preprocessor/resize(pixels:width:height:channels:toWidth:toHeight:interpolation:keeping:)``.
extension Preprocessor {
  /// Resizes with the same antialiased filters in plain double precision: the reference the tests
  /// bound the fast, Pillow-exact resize by.
  ///
  /// Written from the definition, sharing no code with the fast path: output pixel `o` on an axis
  /// scaled by `s = in / out` is centered at input coordinate `(o + 0.5) s`; the filter is stretched
  /// by `max(s, 1)` (antialiasing when shrinking); the weights of the input pixels it covers are
  /// normalized to sum to 1. The first pass's result is clamped to [0, 255] (as Pillow clips) but not
  /// rounded; the final value is rounded to nearest and clamped. The passes run in Pillow's order
  /// (vertical first when the height shrinks by more than twice as many pixels as the width). The
  /// result differs from Pillow's by at most 1: Pillow's intermediate rounding moves a value by at
  /// most 0.5 times the sum of the second pass's weight magnitudes (at most 1.25 for bicubic).
  ///
  /// - Parameters: as for the fast `resize` (whole output only).
  /// - Returns: `toHeight × toWidth × channels` bytes (HWC).
  public static func resizeReference(
    pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int,
    interpolation: Interpolation
  ) -> [UInt8] {
    checkResize(
      pixels.count, width, height, channels, toWidth, toHeight,
      Region(x: 0, y: 0, width: toWidth, height: toHeight))
    var image = Array(pixels[0..<(width * height * channels)]).map(Double.init)
    let horizontal = referenceWeights(inputSize: width, outputSize: toWidth, interpolation: interpolation)
    let vertical = referenceWeights(inputSize: height, outputSize: toHeight, interpolation: interpolation)
    if toHeight < height && height - toHeight > 2 * (width - toWidth) {
      image = referencePass(
        image, width: width, height: height, channels: channels, weights: vertical, alongRows: false)
      image = referencePass(
        image, width: width, height: toHeight, channels: channels, weights: horizontal, alongRows: true)
    } else {
      image = referencePass(
        image, width: width, height: height, channels: channels, weights: horizontal, alongRows: true)
      image = referencePass(
        image, width: toWidth, height: height, channels: channels, weights: vertical, alongRows: false)
    }
    return image.map { UInt8(min(max($0.rounded(), 0), 255)) }
  }

  /// One resampling pass in doubles, clamped to [0, 255]: along each row (`alongRows`, the width
  /// becomes `weights.count`) or along each column (the height becomes `weights.count`).
  private static func referencePass(
    _ image: [Double], width: Int, height: Int, channels: Int, weights: [[(input: Int, weight: Double)]],
    alongRows: Bool
  ) -> [Double] {
    let outputWidth = alongRows ? weights.count : width
    let outputHeight = alongRows ? height : weights.count
    var output = [Double](repeating: 0, count: outputWidth * outputHeight * channels)
    for row in 0..<outputHeight {
      for column in 0..<outputWidth {
        for channel in 0..<channels {
          var sum = 0.0
          for (input, weight) in weights[alongRows ? column : row] {
            let (sourceRow, sourceColumn) = alongRows ? (row, input) : (input, column)
            sum += weight * image[(sourceRow * width + sourceColumn) * channels + channel]
          }
          output[(row * outputWidth + column) * channels + channel] = min(max(sum, 0), 255)
        }
      }
    }
    return output
  }

  /// For each output pixel, the input pixels with a nonzero weight and their normalized weights.
  private static func referenceWeights(
    inputSize: Int, outputSize: Int, interpolation: Interpolation
  ) -> [[(input: Int, weight: Double)]] {
    let scale = Double(inputSize) / Double(outputSize)
    let stretch = max(scale, 1)
    return (0..<outputSize).map { output in
      let center = (Double(output) + 0.5) * scale
      var taps: [(input: Int, weight: Double)] = []
      for input in 0..<inputSize {
        let distance = (Double(input) + 0.5 - center) / stretch
        let weight = referenceKernel(distance, interpolation)
        if weight != 0 { taps.append((input, weight)) }
      }
      let total = taps.reduce(0) { $0 + $1.weight }
      return taps.map { ($0.input, $0.weight / total) }
    }
  }

  /// The filter kernels from their textbook definitions.
  private static func referenceKernel(_ x: Double, _ interpolation: Interpolation) -> Double {
    let t = abs(x)
    switch interpolation {
    case .bilinear:
      return max(0, 1 - t)
    case .bicubic:
      // Keys (1981) cubic convolution, a = -0.5.
      let a = -0.5
      if t < 1 { return (a + 2) * t * t * t - (a + 3) * t * t + 1 }
      if t < 2 { return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a }
      return 0
    }
  }
}
