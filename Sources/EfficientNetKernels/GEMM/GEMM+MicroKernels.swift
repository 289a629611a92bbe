// The register-blocked inner loops. Each computes one tile of C from `K` rows of one packed weight
// panel and up to `tileRows` rows of A, keeping every partial sum in registers. A full tile is
// finished straight from the registers (the activation is a generic parameter, so each one gets its
// own copy of the loop with no switch in it); an edge tile goes through a small buffer to
// `Epilogue.finish`. AVX2 has 16 vector registers: the wide tile holds 12 accumulators, 2 weight
// vectors and 1 broadcast input.

extension GEMM {
  /// Loads eight floats (no alignment needed). Guaranteed inline: in a tile loop grown past the
  /// compiler's inlining budget it was left as a call, which spilled every accumulator around it.
  @inline(always)
  static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// `C[firstRow + r, firstColumn + j]` for `r < rowCount ≤ 6`, `j < 16` (and `firstColumn + j < N`),
  /// from the sums `Σ_k A[r, k] · panel[k · 16 + j]`.
  ///
  /// - Parameters:
  ///   - input: row 0 of the tile's `A`; row `r` at `input + r · inputRowStride`, `K` floats each.
  ///     Rows past `rowCount` are read from row `rowCount - 1` and their sums dropped.
  ///   - panel: `K × 16` packed weights.
  ///   - buffer: room for `6 × 16` floats, for edge tiles.
  @inline(__always)
  static func wideTile<Nonlinearity: EpilogueActivation>(
    input: UnsafePointer<Float>, inputRowStride: Int, rowCount: Int,
    panel: UnsafePointer<Float>, depth: Int,
    firstRow: Int, firstColumn: Int, epilogue: Epilogue, buffer: UnsafeMutablePointer<Float>,
    activation: Nonlinearity.Type
  ) {
    let last = rowCount &- 1
    let a0 = input
    let a1 = input + min(1, last) &* inputRowStride
    let a2 = input + min(2, last) &* inputRowStride
    let a3 = input + min(3, last) &* inputRowStride
    let a4 = input + min(4, last) &* inputRowStride
    let a5 = input + min(5, last) &* inputRowStride
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    var weights = panel
    for k in 0..<depth {
      let b0 = load8(weights)
      let b1 = load8(weights + 8)
      weights += 16
      var x = SIMD8<Float>(repeating: a0[k])
      c00.addProduct(x, b0)
      c01.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a1[k])
      c10.addProduct(x, b0)
      c11.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a2[k])
      c20.addProduct(x, b0)
      c21.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a3[k])
      c30.addProduct(x, b0)
      c31.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a4[k])
      c40.addProduct(x, b0)
      c41.addProduct(x, b1)
      x = SIMD8<Float>(repeating: a5[k])
      c50.addProduct(x, b0)
      c51.addProduct(x, b1)
    }
    if rowCount == tileRows && firstColumn &+ panelWidth <= epilogue.columnCount {
      let bias0 = epilogue.biasVector(at: firstColumn)
      let bias1 = epilogue.biasVector(at: firstColumn &+ 8)
      Nonlinearity.finishTile(
        ((c00, c01), (c10, c11), (c20, c21), (c30, c31), (c40, c41), (c50, c51)), bias: (bias0, bias1),
        width: panelWidth, firstRow: firstRow, firstColumn: firstColumn, epilogue: epilogue)
      return
    }
    let sums = UnsafeMutableRawPointer(buffer)
    sums.storeBytes(of: c00, toByteOffset: 0, as: SIMD8<Float>.self)
    sums.storeBytes(of: c01, toByteOffset: 32, as: SIMD8<Float>.self)
    sums.storeBytes(of: c10, toByteOffset: 64, as: SIMD8<Float>.self)
    sums.storeBytes(of: c11, toByteOffset: 96, as: SIMD8<Float>.self)
    sums.storeBytes(of: c20, toByteOffset: 128, as: SIMD8<Float>.self)
    sums.storeBytes(of: c21, toByteOffset: 160, as: SIMD8<Float>.self)
    sums.storeBytes(of: c30, toByteOffset: 192, as: SIMD8<Float>.self)
    sums.storeBytes(of: c31, toByteOffset: 224, as: SIMD8<Float>.self)
    sums.storeBytes(of: c40, toByteOffset: 256, as: SIMD8<Float>.self)
    sums.storeBytes(of: c41, toByteOffset: 288, as: SIMD8<Float>.self)
    sums.storeBytes(of: c50, toByteOffset: 320, as: SIMD8<Float>.self)
    sums.storeBytes(of: c51, toByteOffset: 352, as: SIMD8<Float>.self)
    epilogue.finish(
      buffer, rowCount: rowCount, firstRow: firstRow, firstColumn: firstColumn, width: panelWidth)
  }

  /// The 8-wide twin of ``wideTile``: sums even and odd `k` separately so that 12 independent
  /// accumulators hide the FMA latency, then adds the halves.
  @inline(__always)
  static func narrowTile<Nonlinearity: EpilogueActivation>(
    input: UnsafePointer<Float>, inputRowStride: Int, rowCount: Int,
    panel: UnsafePointer<Float>, depth: Int,
    firstRow: Int, firstColumn: Int, epilogue: Epilogue, buffer: UnsafeMutablePointer<Float>,
    activation: Nonlinearity.Type
  ) {
    let last = rowCount &- 1
    let a0 = input
    let a1 = input + min(1, last) &* inputRowStride
    let a2 = input + min(2, last) &* inputRowStride
    let a3 = input + min(3, last) &* inputRowStride
    let a4 = input + min(4, last) &* inputRowStride
    let a5 = input + min(5, last) &* inputRowStride
    var c0 = SIMD8<Float>(), d0 = SIMD8<Float>()
    var c1 = SIMD8<Float>(), d1 = SIMD8<Float>()
    var c2 = SIMD8<Float>(), d2 = SIMD8<Float>()
    var c3 = SIMD8<Float>(), d3 = SIMD8<Float>()
    var c4 = SIMD8<Float>(), d4 = SIMD8<Float>()
    var c5 = SIMD8<Float>(), d5 = SIMD8<Float>()
    var weights = panel
    var k = 0
    while k &+ 1 < depth {
      let b0 = load8(weights)
      let b1 = load8(weights + 8)
      weights += 16
      let next = k &+ 1
      c0.addProduct(SIMD8(repeating: a0[k]), b0)
      d0.addProduct(SIMD8(repeating: a0[next]), b1)
      c1.addProduct(SIMD8(repeating: a1[k]), b0)
      d1.addProduct(SIMD8(repeating: a1[next]), b1)
      c2.addProduct(SIMD8(repeating: a2[k]), b0)
      d2.addProduct(SIMD8(repeating: a2[next]), b1)
      c3.addProduct(SIMD8(repeating: a3[k]), b0)
      d3.addProduct(SIMD8(repeating: a3[next]), b1)
      c4.addProduct(SIMD8(repeating: a4[k]), b0)
      d4.addProduct(SIMD8(repeating: a4[next]), b1)
      c5.addProduct(SIMD8(repeating: a5[k]), b0)
      d5.addProduct(SIMD8(repeating: a5[next]), b1)
      k = k &+ 2
    }
    if k < depth {
      let b0 = load8(weights)
      c0.addProduct(SIMD8(repeating: a0[k]), b0)
      c1.addProduct(SIMD8(repeating: a1[k]), b0)
      c2.addProduct(SIMD8(repeating: a2[k]), b0)
      c3.addProduct(SIMD8(repeating: a3[k]), b0)
      c4.addProduct(SIMD8(repeating: a4[k]), b0)
      c5.addProduct(SIMD8(repeating: a5[k]), b0)
    }
    if rowCount == tileRows && firstColumn &+ narrowPanelWidth <= epilogue.columnCount {
      let bias = epilogue.biasVector(at: firstColumn)
      let none = SIMD8<Float>()
      Nonlinearity.finishTile(
        (
          (c0 + d0, none), (c1 + d1, none), (c2 + d2, none), (c3 + d3, none), (c4 + d4, none), (c5 + d5, none)
        ),
        bias: (bias, none), width: narrowPanelWidth, firstRow: firstRow, firstColumn: firstColumn,
        epilogue: epilogue)
      return
    }
    let sums = UnsafeMutableRawPointer(buffer)
    sums.storeBytes(of: c0 + d0, toByteOffset: 0, as: SIMD8<Float>.self)
    sums.storeBytes(of: c1 + d1, toByteOffset: 64, as: SIMD8<Float>.self)
    sums.storeBytes(of: c2 + d2, toByteOffset: 128, as: SIMD8<Float>.self)
    sums.storeBytes(of: c3 + d3, toByteOffset: 192, as: SIMD8<Float>.self)
    sums.storeBytes(of: c4 + d4, toByteOffset: 256, as: SIMD8<Float>.self)
    sums.storeBytes(of: c5 + d5, toByteOffset: 320, as: SIMD8<Float>.self)
    epilogue.finish(
      buffer, rowCount: rowCount, firstRow: firstRow, firstColumn: firstColumn, width: narrowPanelWidth)
  }

  /// The sums of one row of A against one panel (16 or 8 wide) into `tile[0..<width]`: the
  /// matrix-vector case.
  ///
  /// Each column is summed in the order the tile kernels sum it — `k` ascending for a 16-wide panel,
  /// even and odd `k` apart and then added for an 8-wide one — so a row's result does not depend on
  /// whether it fell in a full tile or an edge tile: an image run in a batch gets the same bits as
  /// the image run alone. (``vectorTiles(input:panel:depth:tile:)`` hides the FMA latency across
  /// panels instead of across `k`.)
  @inline(__always)
  static func vectorTile(
    input: UnsafePointer<Float>, panel: UnsafePointer<Float>, panelWidth: Int, depth: Int,
    tile: UnsafeMutablePointer<Float>
  ) {
    var weights = panel
    if panelWidth == narrowPanelWidth {
      var even = SIMD8<Float>(), odd = SIMD8<Float>()
      var k = 0
      while k &+ 1 < depth {
        even.addProduct(SIMD8(repeating: input[k]), load8(weights))
        odd.addProduct(SIMD8(repeating: input[k &+ 1]), load8(weights + 8))
        weights += 16
        k = k &+ 2
      }
      if k < depth { even.addProduct(SIMD8(repeating: input[k]), load8(weights)) }
      UnsafeMutableRawPointer(tile).storeBytes(of: even + odd, as: SIMD8<Float>.self)
      return
    }
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
    for k in 0..<depth {
      let x = SIMD8<Float>(repeating: input[k])
      s0.addProduct(x, load8(weights))
      s1.addProduct(x, load8(weights + 8))
      weights += 16
    }
    let sums = UnsafeMutableRawPointer(tile)
    sums.storeBytes(of: s0, toByteOffset: 0, as: SIMD8<Float>.self)
    sums.storeBytes(of: s1, toByteOffset: 32, as: SIMD8<Float>.self)
  }

  /// ``vectorTile(input:panel:panelWidth:depth:tile:)`` for four consecutive 16-wide panels at once
  /// into `tile[0..<64]` (panel `p` at `16·p`): eight independent accumulators, each summing its
  /// columns in ascending `k` as the tile kernels do.
  @inline(__always)
  static func vectorTiles(
    input: UnsafePointer<Float>, panel: UnsafePointer<Float>, depth: Int, tile: UnsafeMutablePointer<Float>
  ) {
    let stride = panelWidth &* depth
    var w0 = panel, w1 = panel + stride, w2 = panel + 2 &* stride, w3 = panel + 3 &* stride
    var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s10 = SIMD8<Float>(), s11 = SIMD8<Float>()
    var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s30 = SIMD8<Float>(), s31 = SIMD8<Float>()
    for k in 0..<depth {
      let x = SIMD8<Float>(repeating: input[k])
      s00.addProduct(x, load8(w0))
      s01.addProduct(x, load8(w0 + 8))
      s10.addProduct(x, load8(w1))
      s11.addProduct(x, load8(w1 + 8))
      s20.addProduct(x, load8(w2))
      s21.addProduct(x, load8(w2 + 8))
      s30.addProduct(x, load8(w3))
      s31.addProduct(x, load8(w3 + 8))
      w0 += 16
      w1 += 16
      w2 += 16
      w3 += 16
    }
    let sums = UnsafeMutableRawPointer(tile)
    sums.storeBytes(of: s00, toByteOffset: 0, as: SIMD8<Float>.self)
    sums.storeBytes(of: s01, toByteOffset: 32, as: SIMD8<Float>.self)
    sums.storeBytes(of: s10, toByteOffset: 64, as: SIMD8<Float>.self)
    sums.storeBytes(of: s11, toByteOffset: 96, as: SIMD8<Float>.self)
    sums.storeBytes(of: s20, toByteOffset: 128, as: SIMD8<Float>.self)
    sums.storeBytes(of: s21, toByteOffset: 160, as: SIMD8<Float>.self)
    sums.storeBytes(of: s30, toByteOffset: 192, as: SIMD8<Float>.self)
    sums.storeBytes(of: s31, toByteOffset: 224, as: SIMD8<Float>.self)
  }
}
