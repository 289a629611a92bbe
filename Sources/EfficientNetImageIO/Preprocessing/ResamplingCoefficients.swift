/// Pillow's resampling filters and the per-output coefficient tables its 8-bit resize uses.
///
/// Everything here follows the arithmetic of Pillow's `libImaging/Resample.c` step by step (double
/// precision, the same order of operations, the same truncations), so that the fixed-point
/// coefficients, and therefore the resized pixels, are bit-identical to Pillow's.

/// The number of fractional bits of the fixed-point coefficients: 32 - 8 (pixel) - 2 (overshoot).
let coefficientPrecisionBits: Int32 = 22

extension Interpolation {
  /// The half-width of the filter at scale 1, in input pixels.
  var support: Double {
    switch self {
    case .bicubic: return 2
    case .bilinear: return 1
    }
  }

  /// The filter's weight at distance `x` (in filter units) from the output pixel's center.
  func weight(_ x: Double) -> Double {
    let distance = x < 0 ? -x : x
    switch self {
    case .bicubic:
      // Keys' cubic convolution with a = -0.5, written as Pillow evaluates it.
      let a = -0.5
      if distance < 1 { return ((a + 2) * distance - (a + 3)) * distance * distance + 1 }
      if distance < 2 { return (((distance - 5) * distance + 8) * distance - 4) * a }
      return 0
    case .bilinear:
      return distance < 1 ? 1 - distance : 0
    }
  }
}

/// The input span and weights of every output pixel along one axis of a resize.
///
/// Output pixel `o` (for `o` in `outputs`) reads inputs `first[i] ..< first[i] + count[i]` with
/// weights `weights[i * maximumTaps ..< i * maximumTaps + count[i]]`, where `i = o - outputs.lowerBound`.
struct ResamplingCoefficients {
  /// The output pixels described, a subrange of `0 ..< outputSize`.
  let outputs: Range<Int>
  /// The stride of the weight tables: Pillow's `ksize`, `2 * ceil(support) + 1`.
  let maximumTaps: Int
  /// The first input pixel each output reads.
  let first: [Int]
  /// How many input pixels each output reads.
  let count: [Int]
  /// The normalized weights (they sum to 1 for each output), `outputs.count × maximumTaps`.
  let weights: [Double]
  /// The weights in fixed point with ``coefficientPrecisionBits`` fractional bits, as Pillow rounds them.
  let fixedPointWeights: [Int32]

  /// Computes the coefficients of outputs `outputs` of a resize from `inputSize` to `outputSize` pixels.
  init(inputSize: Int, outputSize: Int, interpolation: Interpolation, outputs: Range<Int>? = nil) {
    precondition(inputSize >= 1 && outputSize >= 1, "sizes must be positive")
    let outputs = outputs ?? 0..<outputSize
    precondition(outputs.lowerBound >= 0 && outputs.upperBound <= outputSize, "outputs out of range")
    // Pillow takes the box as floats and the scale as (double)(in1 - in0) / outSize.
    let scale = Double(Float(inputSize)) / Double(outputSize)
    let filterScale = max(scale, 1)
    let support = interpolation.support * filterScale
    let maximumTaps = Int(support.rounded(.up)) * 2 + 1
    let inverseFilterScale = 1.0 / filterScale
    let unit = Double(1 << coefficientPrecisionBits)

    var first = [Int](repeating: 0, count: outputs.count)
    var count = [Int](repeating: 0, count: outputs.count)
    var weights = [Double](repeating: 0, count: outputs.count * maximumTaps)
    var fixedPointWeights = [Int32](repeating: 0, count: outputs.count * maximumTaps)
    for (row, output) in outputs.enumerated() {
      let center = (Double(output) + 0.5) * scale
      // Int(_:) truncates toward zero, like C's (int) cast; negative starts clamp to 0 either way.
      let start = max(0, Int(center - support + 0.5))
      let end = min(inputSize, Int(center + support + 0.5))
      let taps = end - start
      var total = 0.0
      for tap in 0..<taps {
        let weight = interpolation.weight((Double(tap + start) - center + 0.5) * inverseFilterScale)
        weights[row * maximumTaps + tap] = weight
        total += weight
      }
      for tap in 0..<taps {
        if total != 0 { weights[row * maximumTaps + tap] /= total }
        let weight = weights[row * maximumTaps + tap]
        // Round half away from zero, then truncate, as Pillow's normalize_coeffs_8bpc does.
        fixedPointWeights[row * maximumTaps + tap] = Int32(
          weight < 0 ? -0.5 + weight * unit : 0.5 + weight * unit)
      }
      first[row] = start
      count[row] = taps
    }
    self.outputs = outputs
    self.maximumTaps = maximumTaps
    self.first = first
    self.count = count
    self.weights = weights
    self.fixedPointWeights = fixedPointWeights
  }

  /// The input pixels that outputs `outputs` read: from the first output's start to the last one's end.
  var inputSpan: Range<Int> {
    guard !outputs.isEmpty else { return 0..<0 }
    let last = outputs.count - 1
    return first[0]..<(first[last] + count[last])
  }
}
