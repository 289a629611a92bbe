/// Whole-buffer arithmetic a training step needs on gradients: residual accumulation, scaling,
/// clearing, and the sum of squares for gradient-norm clipping. (Plain `a += b` is also
/// ``Elementwise/add(_:into:pool:)``.)
public enum GradientArithmetic {
  /// Values per parallel task; smaller buffers run on the calling thread.
  static let grain = 32_768
  /// Values per partial sum of ``sumOfSquares(_:pool:)``.
  static let squaresChunk = 16_384

  /// `values[i] += factor · other[i]` (with `factor = 1`, the gradient of a residual connection).
  ///
  /// - Parameters:
  ///   - other: any number of floats.
  ///   - factor: the multiplier of `other`.
  ///   - values: as many floats as `other`, updated in place; must not partially overlap `other`.
  ///   - pool: the threads to use.
  public static func addScaled(
    _ other: UnsafeBufferPointer<Float>, by factor: Float = 1, into values: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool = .shared
  ) {
    precondition(other.count == values.count, "addScaled needs buffers of equal length")
    guard let source = other.baseAddress, let target = values.baseAddress else { return }
    pool.parallelRanges(values.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        let sum = LaneAccess.load(target + index).addingProduct(LaneAccess.load(source + index), factor)
        LaneAccess.store(sum, target + index)
        index &+= 8
      }
      while index < range.upperBound {
        target[index] = target[index].addingProduct(source[index], factor)
        index &+= 1
      }
    }
  }

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
  /// Summed in `Float` vectors over chunks of 16,384 values whose partial sums are added in
  /// `Double`; the result does not depend on the thread count.
  ///
  /// - Parameters:
  ///   - values: any number of floats.
  ///   - pool: the threads to use.
  /// - Returns: the sum of squares.
  public static func sumOfSquares(_ values: UnsafeBufferPointer<Float>, pool: ComputePool = .shared) -> Double
  {
    guard let source = values.baseAddress, !values.isEmpty else { return 0 }
    let chunks = (values.count + squaresChunk - 1) / squaresChunk
    return ScratchBuffers.shared.withBuffer(capacity: chunks) { partials in
      pool.parallelFor(chunks) { chunk in
        let start = chunk * squaresChunk
        let end = min(values.count, start + squaresChunk)
        var (first, second) = (SIMD8<Float>(), SIMD8<Float>())
        var index = start
        while index &+ 16 <= end {
          let a = LaneAccess.load(source + index)
          let b = LaneAccess.load(source + (index &+ 8))
          first = first.addingProduct(a, a)
          second = second.addingProduct(b, b)
          index &+= 16
        }
        var total = (first + second).sum()
        while index < end {
          total = total.addingProduct(source[index], source[index])
          index &+= 1
        }
        partials[chunk] = total
      }
      var total = 0.0
      for chunk in 0..<chunks { total += Double(partials[chunk]) }
      return total
    }
  }

  /// The naive twin of ``sumOfSquares(_:pool:)``, in `Double` throughout.
  ///
  /// - Parameter values: any number of floats.
  /// - Returns: the sum of squares.
  public static func sumOfSquaresReference(_ values: UnsafeBufferPointer<Float>) -> Double {
    values.reduce(0) { $0 + Double($1) * Double($1) }
  }
}
