/// The register-blocked matrix product behind the backward kernels, reading both operands in place.
///
/// `C[i, j] (+)= Σ_p A(i, p) · B[p, j]` for `i < rows`, `j < columns`, `p < depth`, where
/// `A(i, p) = a[(i / 6) · aTileStride + (i % 6) · aRowStride + p · aDepthStride]` may be read along
/// either axis or from 6-row packed tiles (so the same code computes `dY · W` and the transposed-A
/// product `dYᵀ · X`), and the rows of `B` and `C` are contiguous in `j`. Tiles of 6 rows × 16 columns are summed in twelve `SIMD8` registers: per step of
/// `p`, two vector loads of `B`, six broadcasts of `A` and twelve fused multiply-adds. Edge tiles use
/// the same code specialized for fewer rows or one vector; columns past the last multiple of 8 are
/// summed one at a time. Single-threaded: callers split the work and block `depth` for the caches.
enum StridedProduct {
  /// The rows of `C` one register tile covers.
  static let tileRows = 6
  /// The columns of `C` one register tile covers.
  static let tileColumns = 16

  /// Computes `C (+)= A · B` over the whole `rows × columns` block (see the type's documentation).
  ///
  /// - Parameters:
  ///   - rows: the rows of `C` (at least 0).
  ///   - columns: the columns of `C` (at least 0).
  ///   - depth: the length of the sums (at least 0; with 0 and `accumulate == false`, `C` is zeroed).
  ///   - a: `A(i, p)` at `a[(i / 6) · aTileStride + (i % 6) · aRowStride + p · aDepthStride]`.
  ///   - aTileStride: the distance between 6-row tiles of `A`; `nil` means `6 · aRowStride`.
  ///   - b: `B[p, j]` at `b[p · bRowStride + j]`.
  ///   - c: `C[i, j]` at `c[i · cRowStride + j]`; must not overlap `a` or `b`.
  ///   - accumulate: add to `C` instead of overwriting it.
  static func multiply(
    rows: Int, columns: Int, depth: Int,
    a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int, aTileStride: Int? = nil,
    b: UnsafePointer<Float>, bRowStride: Int,
    c: UnsafeMutablePointer<Float>, cRowStride: Int, accumulate: Bool
  ) {
    let tileStride = aTileStride ?? tileRows * aRowStride
    let vectorColumns = columns / 8 * 8
    var column = 0
    while column < vectorColumns {
      let wide = vectorColumns - column >= tileColumns
      var row = 0
      while row < rows {
        let count = min(tileRows, rows - row)
        let tileA = a + row / tileRows * tileStride
        let tileB = b + column
        let tileC = c + row * cRowStride + column
        if wide {
          tile(
            rowCount: count, TwoVectors.self, depth: depth, a: tileA, aRowStride: aRowStride,
            aDepthStride: aDepthStride, b: tileB, bRowStride: bRowStride, c: tileC, cRowStride: cRowStride,
            accumulate: accumulate)
        } else {
          tile(
            rowCount: count, OneVector.self, depth: depth, a: tileA, aRowStride: aRowStride,
            aDepthStride: aDepthStride, b: tileB, bRowStride: bRowStride, c: tileC, cRowStride: cRowStride,
            accumulate: accumulate)
        }
        row += tileRows
      }
      column += wide ? tileColumns : 8
    }
    if vectorColumns < columns {
      scalarColumns(
        rows: rows, columns: vectorColumns..<columns, depth: depth, a: a, aRowStride: aRowStride,
        aDepthStride: aDepthStride, aTileStride: tileStride, b: b, bRowStride: bRowStride, c: c,
        cRowStride: cRowStride,
        accumulate: accumulate)
    }
  }

  /// Dispatches one tile of `rowCount` (1…6) rows to the kernel specialized for it.
  @inline(__always)
  private static func tile<Width: TileWidth>(
    rowCount: Int, _ width: Width.Type, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
    aDepthStride: Int, b: UnsafePointer<Float>, bRowStride: Int, c: UnsafeMutablePointer<Float>,
    cRowStride: Int, accumulate: Bool
  ) {
    func run<Rows: TileRowCount>(_ rows: Rows.Type) {
      kernel(
        Rows.self, Width.self, depth: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
        b: b, bRowStride: bRowStride, c: c, cRowStride: cRowStride, accumulate: accumulate)
    }
    switch rowCount {
    case 6: run(SixRows.self)
    case 5: run(FiveRows.self)
    case 4: run(FourRows.self)
    case 3: run(ThreeRows.self)
    case 2: run(TwoRows.self)
    default: run(OneRow.self)
    }
  }

  /// One register tile of `Rows.count` rows × `8 · Width.vectors` columns over the whole depth.
  ///
  /// The row count and width are compile-time constants after specialization, so the accumulators of
  /// absent rows and the second vector of a narrow tile are removed as dead code.
  @inline(never)
  private static func kernel<Rows: TileRowCount, Width: TileWidth>(
    _: Rows.Type, _: Width.Type, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
    aDepthStride: Int, b: UnsafePointer<Float>, bRowStride: Int, c: UnsafeMutablePointer<Float>,
    cRowStride: Int, accumulate: Bool
  ) {
    let rows = Rows.count
    let wide = Width.vectors == 2
    let zero = SIMD8<Float>()
    var (c00, c01, c10, c11, c20, c21) = (zero, zero, zero, zero, zero, zero)
    var (c30, c31, c40, c41, c50, c51) = (zero, zero, zero, zero, zero, zero)
    let (s1, s2, s3, s4, s5) = (
      aRowStride, 2 &* aRowStride, 3 &* aRowStride, 4 &* aRowStride, 5 &* aRowStride
    )
    if accumulate {
      let (r1, r2, r3, r4, r5) = (
        cRowStride, 2 &* cRowStride, 3 &* cRowStride, 4 &* cRowStride, 5 &* cRowStride
      )
      c00 = load(c)
      if wide { c01 = load(c + 8) }
      if rows > 1 {
        c10 = load(c + r1)
        if wide { c11 = load(c + (r1 &+ 8)) }
      }
      if rows > 2 {
        c20 = load(c + r2)
        if wide { c21 = load(c + (r2 &+ 8)) }
      }
      if rows > 3 {
        c30 = load(c + r3)
        if wide { c31 = load(c + (r3 &+ 8)) }
      }
      if rows > 4 {
        c40 = load(c + r4)
        if wide { c41 = load(c + (r4 &+ 8)) }
      }
      if rows > 5 {
        c50 = load(c + r5)
        if wide { c51 = load(c + (r5 &+ 8)) }
      }
    }
    var aPointer = a
    var bPointer = b
    var step = 0
    while step < depth {
      let b0 = load(bPointer)
      let b1 = wide ? load(bPointer + 8) : zero
      var x = SIMD8<Float>(repeating: aPointer[0])
      c00 = c00.addingProduct(x, b0)
      if wide { c01 = c01.addingProduct(x, b1) }
      if rows > 1 {
        x = SIMD8<Float>(repeating: aPointer[s1])
        c10 = c10.addingProduct(x, b0)
        if wide { c11 = c11.addingProduct(x, b1) }
      }
      if rows > 2 {
        x = SIMD8<Float>(repeating: aPointer[s2])
        c20 = c20.addingProduct(x, b0)
        if wide { c21 = c21.addingProduct(x, b1) }
      }
      if rows > 3 {
        x = SIMD8<Float>(repeating: aPointer[s3])
        c30 = c30.addingProduct(x, b0)
        if wide { c31 = c31.addingProduct(x, b1) }
      }
      if rows > 4 {
        x = SIMD8<Float>(repeating: aPointer[s4])
        c40 = c40.addingProduct(x, b0)
        if wide { c41 = c41.addingProduct(x, b1) }
      }
      if rows > 5 {
        x = SIMD8<Float>(repeating: aPointer[s5])
        c50 = c50.addingProduct(x, b0)
        if wide { c51 = c51.addingProduct(x, b1) }
      }
      aPointer += aDepthStride
      bPointer += bRowStride
      step &+= 1
    }
    var row = c
    for index in 0..<rows {
      let (first, second): (SIMD8<Float>, SIMD8<Float>)
      switch index {
      case 0: (first, second) = (c00, c01)
      case 1: (first, second) = (c10, c11)
      case 2: (first, second) = (c20, c21)
      case 3: (first, second) = (c30, c31)
      case 4: (first, second) = (c40, c41)
      default: (first, second) = (c50, c51)
      }
      LaneAccess.store(first, row)
      if wide { LaneAccess.store(second, row + 8) }
      row += cRowStride
    }
  }

  /// Columns `columns` of `C`, one value at a time (the part of `C` right of its last full vector).
  private static func scalarColumns(
    rows: Int, columns: Range<Int>, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
    aDepthStride: Int, aTileStride: Int, b: UnsafePointer<Float>, bRowStride: Int,
    c: UnsafeMutablePointer<Float>,
    cRowStride: Int, accumulate: Bool
  ) {
    for row in 0..<rows {
      let aRow = a + row / tileRows * aTileStride + row % tileRows * aRowStride
      for column in columns {
        var sum: Float = accumulate ? c[row * cRowStride + column] : 0
        var aPointer = aRow
        var bPointer = b + column
        for _ in 0..<depth {
          sum = sum.addingProduct(aPointer[0], bPointer[0])
          aPointer += aDepthStride
          bPointer += bRowStride
        }
        c[row * cRowStride + column] = sum
      }
    }
  }

  @inline(__always)
  private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always)
  private static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }
}

extension StridedProduct {
  /// A tile's row count fixed at compile time.
  protocol TileRowCount {
    static var count: Int { get }
  }

  /// A tile's width in `SIMD8` vectors (1 or 2) fixed at compile time.
  protocol TileWidth {
    static var vectors: Int { get }
  }

  enum OneRow: TileRowCount { static var count: Int { 1 } }
  enum TwoRows: TileRowCount { static var count: Int { 2 } }
  enum ThreeRows: TileRowCount { static var count: Int { 3 } }
  enum FourRows: TileRowCount { static var count: Int { 4 } }
  enum FiveRows: TileRowCount { static var count: Int { 5 } }
  enum SixRows: TileRowCount { static var count: Int { 6 } }
  enum OneVector: TileWidth { static var vectors: Int { 1 } }
  enum TwoVectors: TileWidth { static var vectors: Int { 2 } }
}
