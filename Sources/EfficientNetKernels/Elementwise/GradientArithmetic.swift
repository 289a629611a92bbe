/// Whole-buffer arithmetic the optimizer needs on gradients: scaling and the sum of squares (gradient
/// clipping) and clearing. (Residual accumulation is ``Elementwise/add(_:into:pool:)``.)
public enum GradientArithmetic {
  /// Values per parallel task; smaller buffers run on the calling thread.
  static let grain = 32_768
  /// Values per partial sum of ``sumOfSquares(_:pool:)``.
  static let squaresChunk = 1 << 16

  /// `values[i] *= factor` (gradient clipping, loss scaling).
  ///
  /// - Parameters:
  ///   - values: any number of floats, updated in place.
  ///   - factor: the multiplier.
  ///   - pool: the threads to use.
  public static func scale(
    _ values: UnsafeMutableBufferPointer<Float>, by factor: Float, pool: ComputePool = .shared
  ) {
    guard let target = values.baseAddress else { return }
    pool.parallelRanges(values.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        LaneAccess.store(LaneAccess.load(target + index) * factor, target + index)
        index &+= 8
      }
      while index < range.upperBound {
        target[index] *= factor
        index &+= 1
      }
    }
  }

  /// Sets every value to zero (clearing accumulated gradients).
  ///
  /// - Parameters:
  ///   - values: any number of floats.
  ///   - pool: the threads to use.
  public static func fillWithZeros(_ values: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared) {
    guard let target = values.baseAddress else { return }
    pool.parallelRanges(values.count, grain: 4 * grain) { range in
      (target + range.lowerBound).update(repeating: 0, count: range.count)
    }
  }

  /// `Σ values[i]²`, for the global gradient norm `√(Σ over all parameters)`.
  ///
  /// Squares and sums in `Double` (eight lanes combined in a fixed order) over chunks of 65,536 values
  /// whose partial sums are added in order; the result does not depend on the thread count.
  ///
  /// - Parameters:
  ///   - values: any number of floats.
  ///   - pool: the threads to use.
  /// - Returns: the sum of squares.
  public static func sumOfSquares(_ values: UnsafeBufferPointer<Float>, pool: ComputePool = .shared) -> Double
  {
    let chunks = (values.count + squaresChunk - 1) / squaresChunk
    if chunks <= 1 { return sumOfSquares(values, 0..<values.count) }
    var partials = [Double](repeating: 0, count: chunks)
    partials.withUnsafeMutableBufferPointer { partials in
      pool.parallelFor(chunks) { chunk in
        let start = chunk * squaresChunk
        partials[chunk] = sumOfSquares(values, start..<min(values.count, start + squaresChunk))
      }
    }
    return partials.reduce(0, +)
  }

  /// `Σ x²` over `range` in `Double`, with eight running sums combined in a fixed order.
  private static func sumOfSquares(_ values: UnsafeBufferPointer<Float>, _ range: Range<Int>) -> Double {
    var lanes = SIMD8<Double>(repeating: 0)
    var index = range.lowerBound
    while index + 8 <= range.upperBound {
      var vector = SIMD8<Double>()
      for lane in 0..<8 { vector[lane] = Double(values[index + lane]) }
      lanes.addProduct(vector, vector)
      index += 8
    }
    var sum = lanes.sum()
    while index < range.upperBound {
      let value = Double(values[index])
      sum += value * value
      index += 1
    }
    return sum
  }

  /// The naive twin of ``sumOfSquares(_:pool:)``, in `Double` throughout.
  ///
  /// - Parameter values: any number of floats.
  /// - Returns: the sum of squares.
  public static func sumOfSquaresReference(_ values: UnsafeBufferPointer<Float>) -> Double {
    values.reduce(0) { $0 + Double($1) * Double($1) }
  }
}
