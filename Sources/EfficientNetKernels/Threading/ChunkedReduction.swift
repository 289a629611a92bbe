/// Per-column sums over many rows, split into fixed chunks so that the result does not depend on the
/// number of threads.
///
/// The rows are grouped into `segments` of `rowsPerSegment` rows each (one segment per image, or one
/// for the whole batch). Each segment is cut into chunks of ``chunkRows`` rows; every chunk is one
/// task that sums its rows into its own partial row of `width` floats (borrowed from
/// ``ScratchBuffers``), and the partials of a segment are then added in chunk order in `Double`.
/// The chunking depends on the shape only, so every thread count gives the same bits.
enum ChunkedReduction {
  /// The rows one task sums.
  static let chunkRows = 512

  /// Sums `body`'s per-chunk contributions into `result[segment · width + j]`.
  ///
  /// - Parameters:
  ///   - segments: the number of independent sums (at least 1).
  ///   - rowsPerSegment: the rows each segment sums over (at least 0).
  ///   - width: the floats per row of the result (at least 1).
  ///   - result: `[segments, width]`; receives the sums, or has them added when `accumulate`.
  ///   - accumulate: add to `result` instead of overwriting it.
  ///   - pool: the threads to use.
  ///   - body: adds the contributions of `rows` (absolute row indices, inside one segment) into
  ///     `partial[0..<width]`, which arrives zeroed.
  static func sum(
    segments: Int, rowsPerSegment: Int, width: Int, result: UnsafeMutablePointer<Float>, accumulate: Bool,
    pool: ComputePool, _ body: (_ rows: Range<Int>, _ partial: UnsafeMutablePointer<Float>) -> Void
  ) {
    precondition(segments >= 1 && width >= 1 && rowsPerSegment >= 0, "ChunkedReduction: bad shape")
    let chunksPerSegment = max(1, (rowsPerSegment + chunkRows - 1) / chunkRows)
    let chunkCount = segments * chunksPerSegment
    ScratchBuffers.shared.withBuffer(capacity: chunkCount * width) { partials in
      pool.parallelFor(chunkCount) { chunk in
        let segment = chunk / chunksPerSegment
        let start = segment * rowsPerSegment + (chunk % chunksPerSegment) * chunkRows
        let end = min(start + chunkRows, (segment + 1) * rowsPerSegment)
        let partial = partials + chunk * width
        partial.initialize(repeating: 0, count: width)
        if start < end { body(start..<end, partial) }
      }
      for segment in 0..<segments {
        let first = partials + segment * chunksPerSegment * width
        let destination = result + segment * width
        for column in 0..<width {
          var total = accumulate ? Double(destination[column]) : 0
          for chunk in 0..<chunksPerSegment {
            total += Double(first[chunk * width + column])
          }
          destination[column] = Float(total)
        }
      }
    }
  }

  /// The `task`-th of `taskCount` nearly equal contiguous parts of `0..<count`.
  @inline(__always)
  static func share(of count: Int, task: Int, taskCount: Int) -> Range<Int> {
    (count * task / taskCount)..<(count * (task + 1) / taskCount)
  }

  /// Adds `source[0..<count]` into `destination[0..<count]`, eight lanes at a time.
  @inline(__always)
  static func addVectors(
    _ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int
  ) {
    var index = 0
    while index &+ 8 <= count {
      LaneAccess.store(
        LaneAccess.load(destination + index)
          + UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self),
        destination + index)
      index &+= 8
    }
    while index < count {
      destination[index] += source[index]
      index &+= 1
    }
  }
}
