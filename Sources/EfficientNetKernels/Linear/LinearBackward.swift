/// Gradients of a linear layer or 1×1 convolution `Y[M, N] = X[M, K] · Wᵀ + b` with `W` `[N, K]`
/// (PyTorch's `[out, in]`; a 1×1 convolution's `[Cout, Cin, 1, 1]`), `M = N·H·W` rows for NHWC
/// activations.
///
/// The squeeze-and-excitation gate that the inference engine fuses into the projection
/// (`Y = (X ⊙ s) · Wᵀ`, `s` per image and input channel) is **not** fused here: the caller
/// materializes `X ⊙ s` for the weight gradient, computes `d(X ⊙ s) = dY · W` with
/// ``inputGradient(outputGradient:rows:outputCount:inputCount:weights:inputGradient:accumulate:pool:)``,
/// and passes that through ``SqueezeExcitationBackward/scaleChannelsBackward(input:scales:outputGradient:batch:pixels:channels:inputGradient:accumulateInput:scaleGradient:accumulateScale:pool:)``
/// for `dX` and `ds`. The small fully connected layers of the gate are linear layers with `M = N`.
public enum LinearBackward {
  /// Rows of `dX` one task computes (a multiple of the 6-row register tile).
  static let inputRowBlock = 96
  /// Rows of `M` summed per pass over the weight gradient's tiles, so that the stripe of `X` a tile
  /// reads (128 rows × 64 bytes) stays in L1 while every row tile uses it.
  static let depthBlock = 128
  /// The weight gradient copies `dY` into tiles when `K` has at least this many columns.
  static let packingMinimumColumns = 48
  /// Products with fewer multiply-adds than this stay on the calling thread.
  static let parallelThreshold = 1 << 17
  /// The weight gradient splits a long `M` into chunks of about this many rows when `X` is the
  /// larger operand (see ``weightGradient(outputGradient:input:rows:outputCount:inputCount:weightGradient:accumulate:pool:)``).
  static let weightChunkRows = 4096

  /// The input gradient `dX[M, K] (+)= dY[M, N] · W[N, K]`.
  ///
  /// Reads `W` in place (no packing, no allocation). Work is split over blocks of rows, or over
  /// 16-column stripes when there are fewer row blocks than threads; every element is summed in the
  /// same order whatever the split.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - rows: M (at least 0).
  ///   - outputCount: N (at least 1).
  ///   - inputCount: K (at least 1).
  ///   - weights: `W[N, K]`.
  ///   - inputGradient: `dX[M, K]`; must not overlap `dY` or `W`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func inputGradient(
    outputGradient: UnsafeBufferPointer<Float>, rows: Int, outputCount: Int, inputCount: Int,
    weights: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
    pool: ComputePool = .shared
  ) {
    let (m, n, k) = (rows, outputCount, inputCount)
    precondition(m >= 0 && n >= 1 && k >= 1, "LinearBackward: M ≥ 0, N ≥ 1 and K ≥ 1")
    precondition(outputGradient.count == m * n, "output gradient must be [M, N]")
    precondition(weights.count == n * k, "weights must be [N, K]")
    precondition(inputGradient.count == m * k, "input gradient must be [M, K]")
    guard m > 0, let dY = outputGradient.baseAddress, let w = weights.baseAddress,
      let dX = inputGradient.baseAddress
    else { return }
    let rowBlocks = (m + inputRowBlock - 1) / inputRowBlock
    let threads = m * n * k < parallelThreshold ? 1 : pool.threadCount
    let stripes = (k + StridedProduct.tileColumns - 1) / StridedProduct.tileColumns
    let splitColumns = rowBlocks < threads && stripes > 1
    let taskCount = splitColumns ? min(threads, stripes) : rowBlocks
    pool.parallelFor(threads == 1 ? 1 : taskCount) { task in
      let rowRange = splitColumns || threads == 1 ? 0..<m : blockRange(task, block: inputRowBlock, count: m)
      let stripeRange =
        splitColumns ? ChunkedReduction.share(of: stripes, task: task, taskCount: taskCount) : 0..<stripes
      let firstColumn = stripeRange.lowerBound * StridedProduct.tileColumns
      let endColumn = min(k, stripeRange.upperBound * StridedProduct.tileColumns)
      var row = rowRange.lowerBound
      while row < rowRange.upperBound {
        let count = min(inputRowBlock, rowRange.upperBound - row)
        StridedProduct.multiply(
          rows: count, columns: endColumn - firstColumn, depth: n,
          a: dY + row * n, aRowStride: n, aDepthStride: 1,
          b: w + firstColumn, bRowStride: k,
          c: dX + row * k + firstColumn, cRowStride: k, accumulate: accumulate)
        row += count
      }
    }
  }

  /// The weight gradient `dW[N, K] (+)= dYᵀ · X`, that is `dW[n, k] (+)= Σ_m dY[m, n] · X[m, k]`.
  ///
  /// A transposed-A product: `M` (up to `H·W·batch`) is the long reduction axis, `N` and `K` are
  /// channel counts. Tiles of 6 output rows × 16 columns sum blocks of 128 rows of `M` in registers.
  /// When `K ≥ N` and `M` holds at least two chunks of 4096 rows, `M` is cut into chunks fixed by `M`
  /// alone, each summed into its own partial, and the partials are added in order (X, the larger
  /// operand, is then read once). Otherwise, when there are at least as many 6-row tiles of `N` as
  /// threads, each thread owns a range of rows of `dW`. In both cases the result does not depend on
  /// the thread count. Otherwise `M` is split over the threads and their partial products (borrowed
  /// scratch, no allocation in steady state) are added in order, which changes the rounding, not
  /// the value, with the thread count.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - input: `X[M, K]` (the layer's input; for a gated projection, `X ⊙ s`).
  ///   - rows: M (at least 0; with 0 and `accumulate == false`, `dW` is zeroed).
  ///   - outputCount: N (at least 1).
  ///   - inputCount: K (at least 1).
  ///   - weightGradient: `dW[N, K]`; must not overlap `dY` or `X`.
  ///   - accumulate: add to `dW` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func weightGradient(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int,
    outputCount: Int, inputCount: Int, weightGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
    pool: ComputePool = .shared
  ) {
    let (m, n, k) = (rows, outputCount, inputCount)
    precondition(m >= 0 && n >= 1 && k >= 1, "LinearBackward: M ≥ 0, N ≥ 1 and K ≥ 1")
    precondition(outputGradient.count == m * n, "output gradient must be [M, N]")
    precondition(input.count == m * k, "input must be [M, K]")
    precondition(weightGradient.count == n * k, "weight gradient must be [N, K]")
    guard let dW = weightGradient.baseAddress else { return }
    guard m > 0, let dY = outputGradient.baseAddress, let x = input.baseAddress else {
      if !accumulate { dW.update(repeating: 0, count: n * k) }
      return
    }
    let threads = m * n * k < parallelThreshold ? 1 : pool.threadCount
    let rowTiles = (n + StridedProduct.tileRows - 1) / StridedProduct.tileRows
    // Splits `M` into `parts` equal parts, sums each into its own partial (borrowed scratch, no
    // allocation in steady state) and adds the partials into `dW` in order.
    func sumInParts(_ parts: Int) {
      ScratchBuffers.shared.withBuffer(capacity: parts * n * k) { partials in
        pool.parallelFor(parts) { part in
          accumulateTransposed(
            dY: dY, outputStride: n, x: x, inputCount: k,
            rows: ChunkedReduction.share(of: m, task: part, taskCount: parts), outputRows: n,
            into: partials + part * n * k, accumulate: false)
        }
        if !accumulate { dW.update(from: partials, count: n * k) }
        for part in (accumulate ? 0 : 1)..<parts {
          ChunkedReduction.addVectors(partials + part * n * k, into: dW, count: n * k)
        }
      }
    }
    let chunks = m / weightChunkRows
    if k >= n && chunks >= 2 {
      // X is the larger operand and M is long: chunks fixed by M alone (so the result does not depend
      // on the thread count), so that X is read once in all instead of once per thread.
      // B0's narrow projections at 112×112 and 56×56 (batch 16): 25–40% faster.
      sumInParts(chunks)
      return
    }
    if threads == 1 || rowTiles >= threads {
      let taskCount = min(threads, rowTiles)
      pool.parallelFor(taskCount) { task in
        let tiles = ChunkedReduction.share(of: rowTiles, task: task, taskCount: taskCount)
        let first = tiles.lowerBound * StridedProduct.tileRows
        let end = min(n, tiles.upperBound * StridedProduct.tileRows)
        accumulateTransposed(
          dY: dY + first, outputStride: n, x: x, inputCount: k, rows: 0..<m, outputRows: end - first,
          into: dW + first * k, accumulate: accumulate)
      }
      return
    }
    // Few output rows: split M over the threads.
    sumInParts(threads)
  }

  /// `C[outputRows, K] (+)= Σ_{m ∈ rows} dY[m, 0..<outputRows]ᵀ · X[m, 0..<K]`, in blocks of
  /// ``depthBlock`` rows of `M`; `dY` points at the first output row's column.
  ///
  /// When `K` spans several 16-column stripes, each block of `dY` is first copied into 6-row tiles
  /// (`tile[p · 6 + i]`), so that the kernel's broadcasts, repeated for every stripe, walk memory in
  /// order instead of striding a cache line per step; with few stripes the copy would cost as much
  /// as it saves, and `dY` is read in place.
  private static func accumulateTransposed(
    dY: UnsafePointer<Float>, outputStride: Int, x: UnsafePointer<Float>, inputCount: Int, rows: Range<Int>,
    outputRows: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    if rows.isEmpty {
      if !accumulate { c.update(repeating: 0, count: outputRows * inputCount) }
      return
    }
    let tileRows = StridedProduct.tileRows
    let tiles = (outputRows + tileRows - 1) / tileRows
    let packs = inputCount >= packingMinimumColumns
    ScratchBuffers.shared.withBuffer(capacity: packs ? tiles * tileRows * depthBlock : 0) { packed in
      var start = rows.lowerBound
      var add = accumulate
      while start < rows.upperBound {
        let depth = min(depthBlock, rows.upperBound - start)
        let block = dY + start * outputStride
        if packs {
          for step in 0..<depth {
            let source = block + step * outputStride
            for tile in 0..<tiles {
              let first = tile * tileRows
              let destination = packed + tile * tileRows * depth + step * tileRows
              for row in 0..<min(tileRows, outputRows - first) { destination[row] = source[first + row] }
            }
          }
        }
        StridedProduct.multiply(
          rows: outputRows, columns: inputCount, depth: depth,
          a: packs ? UnsafePointer(packed) : block, aRowStride: 1,
          aDepthStride: packs ? tileRows : outputStride, aTileStride: packs ? tileRows * depth : tileRows,
          b: x + start * inputCount, bRowStride: inputCount,
          c: c, cRowStride: inputCount, accumulate: add)
        add = true
        start += depth
      }
    }
  }

  /// The bias gradient `db[N] (+)= Σ_m dY[m, n]` (the column sums of `dY`).
  ///
  /// Summed in chunks of 512 rows whose partial sums are added in `Double`; the result does not
  /// depend on the thread count.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, N]`.
  ///   - rows: M (at least 0).
  ///   - outputCount: N (at least 1).
  ///   - biasGradient: `db[N]`.
  ///   - accumulate: add to `db` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func biasGradient(
    outputGradient: UnsafeBufferPointer<Float>, rows: Int, outputCount: Int,
    biasGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    precondition(rows >= 0 && outputCount >= 1, "LinearBackward: M ≥ 0 and N ≥ 1")
    precondition(outputGradient.count == rows * outputCount, "output gradient must be [M, N]")
    precondition(biasGradient.count == outputCount, "bias gradient must be [N]")
    guard let db = biasGradient.baseAddress else { return }
    let dY = outputGradient.baseAddress
    ChunkedReduction.sum(
      segments: 1, rowsPerSegment: rows, width: outputCount, result: db, accumulate: accumulate, pool: pool
    ) { range, partial in
      guard let dY else { return }
      for row in range {
        ChunkedReduction.addVectors(dY + row * outputCount, into: partial, count: outputCount)
      }
    }
  }

  /// The `block`-sized `index`-th part of `0..<count`.
  @inline(__always)
  static func blockRange(_ index: Int, block: Int, count: Int) -> Range<Int> {
    (index * block)..<min(count, (index + 1) * block)
  }
}
