/// A kernel width and horizontal stride fixed at compile time, so the tap loop of the interior
/// columns unrolls.
protocol DepthwiseColumnShape {
  static var kernelWidth: Int { get }
  static var strideWidth: Int { get }
}

enum DepthwiseColumns3Stride1: DepthwiseColumnShape {
  static var kernelWidth: Int { 3 }
  static var strideWidth: Int { 1 }
}

enum DepthwiseColumns3Stride2: DepthwiseColumnShape {
  static var kernelWidth: Int { 3 }
  static var strideWidth: Int { 2 }
}

enum DepthwiseColumns5Stride1: DepthwiseColumnShape {
  static var kernelWidth: Int { 5 }
  static var strideWidth: Int { 1 }
}

enum DepthwiseColumns5Stride2: DepthwiseColumnShape {
  static var kernelWidth: Int { 5 }
  static var strideWidth: Int { 2 }
}

/// Computes one output row `[OW, C]` of a depthwise convolution.
///
/// Vertical padding is settled once per row: only the kernel rows that land inside the input are
/// visited. Output columns whose window lies inside the input run four at a time with no bounds checks
/// (`interiorBlock`, specialized by kernel width and stride, 16 or 8 channels per call); border
/// columns and unspecialized kernel shapes run through `pixel`, which clips the kernel columns once
/// per pixel; channels past the last multiple of 8 run through `scalarPixel`. All of them write
/// bias + convolution; one pass over the finished row then applies the activation and adds the
/// channel sums while the row is still in cache.
///
/// Loop order: when the weights are small (`KH·KW·C` floats fit in L1 with room to spare), each block
/// of four columns runs through all channels before the next (`columnsOuter`), so the input is read
/// in contiguous runs; otherwise each 16-channel slice sweeps the whole row so its weights stay in
/// registers and L1. On the B0 shapes the first order is 10–20% faster for up to 240 channels and
/// 15% slower for 672.
struct DepthwiseRows {
  let input: UnsafePointer<Float>
  let weights: UnsafePointer<Float>
  let bias: UnsafePointer<Float>?
  let output: UnsafeMutablePointer<Float>
  let channels: Int
  let geometry: ConvolutionGeometry
  let activation: Activation
  /// The interior columns covered by four-column blocks (empty when the interior has fewer than 4).
  let blockedColumns: Range<Int>
  let columnsOuter: Bool
  /// In the columns-outer order, whether each block of columns is activated as soon as it is done
  /// rather than the whole row afterwards: for rows over 16 KB, which a later pass found partly
  /// evicted from L1 (B0/Lite0 56×56×144 ReLU6 rows: 16% faster; smaller rows gain nothing).
  let activatesPerBlock: Bool

  init(
    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, channels: Int, geometry: ConvolutionGeometry,
    activation: Activation
  ) {
    self.input = input
    self.weights = weights
    self.bias = bias
    self.output = output
    self.channels = channels
    self.geometry = geometry
    self.activation = activation
    let interior = geometry.interiorColumns
    self.blockedColumns = interior.count >= 4 ? interior : interior.lowerBound..<interior.lowerBound
    let weightBytes = geometry.kernelHeight * geometry.kernelWidth * channels * MemoryLayout<Float>.size
    self.columnsOuter = weightBytes <= 24 * 1024
    self.activatesPerBlock =
      columnsOuter && geometry.outputWidth * channels * MemoryLayout<Float>.size > 16 * 1024
  }

  /// The input rows one output row reads: the first in-bounds input row, the weights of its kernel
  /// row, and how many consecutive kernel rows are in bounds.
  struct Window {
    var firstRow: UnsafePointer<Float>
    var weights: UnsafePointer<Float>
    var rowCount: Int
  }

  /// Computes `output[image, outputRow, :, :]`, adding each channel's activated values to `sums`.
  func computeRow(image: Int, outputRow: Int, sums: UnsafeMutablePointer<Float>?) {
    let g = geometry
    let top = outputRow * g.strideHeight - g.padTop
    let firstTap = max(0, -top)
    let endTap = min(g.kernelHeight, g.inputHeight - top)
    let rowCount = max(0, endTap - firstTap)
    let firstInputRow = rowCount > 0 ? top + firstTap : 0
    let window = Window(
      firstRow: input + (image * g.inputHeight + firstInputRow) * g.inputWidth * channels,
      weights: weights + firstTap * g.kernelWidth * channels, rowCount: rowCount)
    let row = output + (image * g.outputHeight + outputRow) * g.outputWidth * channels

    var activated = false
    switch (g.kernelWidth, g.strideWidth) {
    case (3, 1): activated = computeRow(DepthwiseColumns3Stride1.self, window: window, outputRow: row)
    case (3, 2): activated = computeRow(DepthwiseColumns3Stride2.self, window: window, outputRow: row)
    case (5, 1): activated = computeRow(DepthwiseColumns5Stride1.self, window: window, outputRow: row)
    case (5, 2): activated = computeRow(DepthwiseColumns5Stride2.self, window: window, outputRow: row)
    default:
      for column in 0..<g.outputWidth { pixel(column: column, window: window, outputRow: row) }
    }
    if !activated {
      activation.withPointwiseFunction(
        ActivationPass(values: row, pixels: g.outputWidth, channels: channels, sums: sums))
    } else if sums != nil {
      Activation.identity.withPointwiseFunction(
        ActivationPass(values: row, pixels: g.outputWidth, channels: channels, sums: sums))
    }
  }

  /// Applies the activation to output columns `first..<first+count` of a row just computed, while
  /// they are still in L1 (with ``activatesPerBlock``).
  @inline(__always)
  private func activate(columns first: Int, count: Int, outputRow: UnsafeMutablePointer<Float>) {
    guard activatesPerBlock, count > 0, activation != .identity else { return }
    activation.withPointwiseFunction(
      ActivationPass(values: outputRow + first * channels, pixels: count, channels: channels, sums: nil))
  }

  /// Computes one row with a specialized kernel shape; returns whether the activation is already
  /// applied (``activatesPerBlock``).
  private func computeRow<Shape: DepthwiseColumnShape>(
    _ shape: Shape.Type, window: Window, outputRow: UnsafeMutablePointer<Float>
  ) -> Bool {
    let blocked = blockedColumns
    if columnsOuter {
      for column in 0..<blocked.lowerBound { pixel(column: column, window: window, outputRow: outputRow) }
      activate(columns: 0, count: blocked.lowerBound, outputRow: outputRow)
      var column = blocked.lowerBound
      while column < blocked.upperBound {
        // The last block is shifted left to end at the interior's end; recomputing a few columns is
        // harmless and keeps every interior column in a fast block.
        let start = min(column, blocked.upperBound - 4)
        var channel = 0
        while channel + 16 <= channels {
          interiorBlock(
            shape, SIMD16<Float>.self, column: start, channel: channel, window: window, outputRow: outputRow)
          channel += 16
        }
        if channel + 8 <= channels {
          interiorBlock(
            shape, SIMD8<Float>.self, column: start, channel: channel, window: window, outputRow: outputRow)
          channel += 8
        }
        for tailChannel in channel..<channels {
          for offset in 0..<4 {
            scalarPixel(column: start + offset, channel: tailChannel, window: window, outputRow: outputRow)
          }
        }
        // A shifted last block recomputed some activated columns from scratch: all four get activated.
        activate(columns: start, count: 4, outputRow: outputRow)
        column += 4
      }
      for column in blocked.upperBound..<geometry.outputWidth {
        pixel(column: column, window: window, outputRow: outputRow)
      }
      activate(
        columns: blocked.upperBound, count: geometry.outputWidth - blocked.upperBound, outputRow: outputRow)
      return activatesPerBlock
    }
    var channel = 0
    while channel + 16 <= channels {
      sweepRow(shape, SIMD16<Float>.self, channel: channel, window: window, outputRow: outputRow)
      channel += 16
    }
    if channel + 8 <= channels {
      sweepRow(shape, SIMD8<Float>.self, channel: channel, window: window, outputRow: outputRow)
      channel += 8
    }
    for tailChannel in channel..<channels {
      for column in 0..<geometry.outputWidth {
        scalarPixel(column: column, channel: tailChannel, window: window, outputRow: outputRow)
      }
    }
    return false
  }

  /// One channel slice across the whole row: border pixels, then four-column interior blocks.
  private func sweepRow<Shape: DepthwiseColumnShape, Vector: SIMD>(
    _ shape: Shape.Type, _ vector: Vector.Type, channel: Int, window: Window,
    outputRow: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let blocked = blockedColumns
    for column in 0..<blocked.lowerBound {
      pixel(vector, column: column, channel: channel, window: window, outputRow: outputRow)
    }
    var column = blocked.lowerBound
    while column < blocked.upperBound {
      let start = min(column, blocked.upperBound - 4)
      interiorBlock(shape, vector, column: start, channel: channel, window: window, outputRow: outputRow)
      column += 4
    }
    for column in blocked.upperBound..<geometry.outputWidth {
      pixel(vector, column: column, channel: channel, window: window, outputRow: outputRow)
    }
  }

  /// All channels of one output column through the clipped-tap paths.
  private func pixel(column: Int, window: Window, outputRow: UnsafeMutablePointer<Float>) {
    var channel = 0
    while channel + 16 <= channels {
      pixel(SIMD16<Float>.self, column: column, channel: channel, window: window, outputRow: outputRow)
      channel += 16
    }
    if channel + 8 <= channels {
      pixel(SIMD8<Float>.self, column: column, channel: channel, window: window, outputRow: outputRow)
      channel += 8
    }
    for tailChannel in channel..<channels {
      scalarPixel(column: column, channel: tailChannel, window: window, outputRow: outputRow)
    }
  }

  /// Output columns `column..<column+4`, one channel block; every tap is in bounds.
  @inline(__always)
  private func interiorBlock<Shape: DepthwiseColumnShape, Vector: SIMD>(
    _ shape: Shape.Type, _ vector: Vector.Type, column: Int, channel: Int, window: Window,
    outputRow: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let c = channels
    var start = Vector()
    if let bias { start = LaneAccess.load(bias + channel) }
    let sums = Self.fourColumns(
      shape, start: start,
      input: window.firstRow + ((column &* Shape.strideWidth &- geometry.padLeft) &* c &+ channel),
      pixelStride: c, rowStride: geometry.inputWidth &* c, weights: window.weights + channel, tapStride: c,
      rowCount: window.rowCount)
    let out = outputRow + (column &* c &+ channel)
    LaneAccess.storeFour(sums, out, stride: c)
  }

  /// The bias-started sums of four consecutive output columns for one channel block, every tap in
  /// bounds: `input` points at the first column's first tap, consecutive input pixels are
  /// `pixelStride` floats apart and rows `rowStride`; weights are `[rowCount, KW]` taps `tapStride`
  /// floats apart. Kernel rows outer, kernel columns inner, one fused multiply-add per tap.
  @inline(__always)
  static func fourColumns<Shape: DepthwiseColumnShape, Vector: SIMD>(
    _ shape: Shape.Type, start: Vector, input: UnsafePointer<Float>, pixelStride: Int, rowStride: Int,
    weights: UnsafePointer<Float>, tapStride: Int, rowCount: Int
  ) -> (Vector, Vector, Vector, Vector) where Vector.Scalar == Float {
    let stride = Shape.strideWidth
    let kernelWidth = Shape.kernelWidth
    let p = pixelStride
    var (a0, a1, a2, a3) = (start, start, start, start)
    var row = input
    var tap = weights
    var remaining = rowCount
    while remaining > 0 {
      for kx in 0..<kernelWidth {
        let w: Vector = UnsafeRawPointer(tap + kx &* tapStride).loadUnaligned(as: Vector.self)
        let x = UnsafeRawPointer(row + kx &* p)
        a0 = a0.addingProduct(x.loadUnaligned(as: Vector.self), w)
        a1 = a1.addingProduct(x.loadUnaligned(fromByteOffset: 4 &* stride &* p, as: Vector.self), w)
        a2 = a2.addingProduct(x.loadUnaligned(fromByteOffset: 8 &* stride &* p, as: Vector.self), w)
        a3 = a3.addingProduct(x.loadUnaligned(fromByteOffset: 12 &* stride &* p, as: Vector.self), w)
      }
      row += rowStride
      tap += kernelWidth &* tapStride
      remaining &-= 1
    }
    return (a0, a1, a2, a3)
  }

  /// One output column, one channel block, with the kernel columns clipped to the input. Works for
  /// any kernel size and stride. Even and odd kernel rows accumulate separately (two independent
  /// FMA chains) and are added at the end.
  private func pixel<Vector: SIMD>(
    _ vector: Vector.Type, column: Int, channel: Int, window: Window,
    outputRow: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let c = channels
    let taps = clippedTaps(column: column)
    var even = Vector()
    var odd = Vector()
    if let bias { even = LaneAccess.load(bias + channel) }
    if taps.count > 0 {
      let rowStride = geometry.inputWidth &* c
      let weightRowStride = geometry.kernelWidth &* c
      var row = window.firstRow + ((taps.firstInputColumn &* c) &+ channel)
      var tap = window.weights + ((taps.first &* c) &+ channel)
      var remaining = window.rowCount
      while remaining >= 2 {
        var kx = 0
        while kx < taps.count {
          let offset = kx &* c
          even = even.addingProduct(LaneAccess.load(row + offset), LaneAccess.load(tap + offset))
          odd = odd.addingProduct(
            LaneAccess.load(row + (rowStride &+ offset)), LaneAccess.load(tap + (weightRowStride &+ offset)))
          kx &+= 1
        }
        row += 2 &* rowStride
        tap += 2 &* weightRowStride
        remaining &-= 2
      }
      if remaining == 1 {
        var kx = 0
        while kx < taps.count {
          even = even.addingProduct(LaneAccess.load(row + kx &* c), LaneAccess.load(tap + kx &* c))
          kx &+= 1
        }
      }
    }
    LaneAccess.store(even + odd, outputRow + (column &* c &+ channel))
  }

  /// `pixel` for a single channel (the tail past the last multiple of 8).
  private func scalarPixel(
    column: Int, channel: Int, window: Window, outputRow: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    let taps = clippedTaps(column: column)
    var accumulator = bias?[channel] ?? 0
    if taps.count > 0 {
      var row = window.firstRow + ((taps.firstInputColumn &* c) &+ channel)
      var tap = window.weights + ((taps.first &* c) &+ channel)
      for _ in 0..<window.rowCount {
        for kx in 0..<taps.count {
          accumulator = accumulator.addingProduct(row[kx &* c], tap[kx &* c])
        }
        row += geometry.inputWidth &* c
        tap += geometry.kernelWidth &* c
      }
    }
    outputRow[column &* c &+ channel] = accumulator
  }

  /// The kernel columns of output column `column` that land inside the input.
  @inline(__always)
  private func clippedTaps(column: Int) -> (first: Int, count: Int, firstInputColumn: Int) {
    let left = column * geometry.strideWidth - geometry.padLeft
    let first = max(0, -left)
    let count = max(0, min(geometry.kernelWidth, geometry.inputWidth - left) - first)
    return (first, count, left + first)
  }
}
