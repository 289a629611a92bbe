#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#elseif canImport(Musl)
  import Musl
#endif

/// Numerically stable softmax over the rows of a matrix.
public enum Softmax {
  /// Replaces each row of `values` by its softmax: `exp(x − max) / Σ exp(x − max)`.
  ///
  /// - Parameters:
  ///   - values: `[M, N]`, updated in place.
  ///   - rows: M.
  ///   - columns: N (at least 1).
  ///   - pool: the threads to use (rows are split between them).
  public static func softmaxRows(
    _ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, pool: ComputePool = .shared
  ) {
    precondition(columns >= 1, "softmax needs at least one column")
    precondition(values.count == rows * columns, "values must be [M, N]")
    guard let base = values.baseAddress else { return }
    pool.parallelRanges(rows, grain: max(1, Elementwise.grain / columns)) { range in
      for row in range { softmax(base + row * columns, count: columns) }
    }
  }

  private static func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    var index = 0
    if count >= 8 {
      var lanes = SIMD8<Float>(repeating: -.infinity)
      while index &+ 8 <= count {
        lanes = pointwiseMax(lanes, LaneAccess.load(values + index))
        index &+= 8
      }
      maximum = lanes.max()
    }
    while index < count {
      maximum = max(maximum, values[index])
      index &+= 1
    }
    var lanes = SIMD8<Float>()
    var total: Float = 0
    index = 0
    while index &+ 8 <= count {
      let e = VectorMath.exp(LaneAccess.load(values + index) - maximum)
      LaneAccess.store(e, values + index)
      lanes += e
      index &+= 8
    }
    while index < count {
      let e = expf(values[index] - maximum)
      values[index] = e
      total += e
      index &+= 1
    }
    total += lanes.sum()
    let scale = 1 / total
    index = 0
    while index &+ 8 <= count {
      LaneAccess.store(LaneAccess.load(values + index) * scale, values + index)
      index &+= 8
    }
    while index < count {
      values[index] *= scale
      index &+= 1
    }
  }

  /// The naive twin of ``softmaxRows(_:rows:columns:pool:)``, with the scalar `expf`.
  public static func softmaxRowsReference(
    _ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int
  ) {
    precondition(values.count == rows * columns, "values must be [M, N]")
    for row in 0..<rows {
      let start = row * columns
      var maximum = -Float.infinity
      for column in 0..<columns { maximum = max(maximum, values[start + column]) }
      var total: Float = 0
      for column in 0..<columns {
        values[start + column] = expf(values[start + column] - maximum)
        total += values[start + column]
      }
      for column in 0..<columns { values[start + column] /= total }
    }
  }
}
