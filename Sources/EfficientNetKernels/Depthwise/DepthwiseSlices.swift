/// Depthwise convolution of small feature maps, one slice of 16 (or 8) channels at a time.
///
/// On a map a few columns wide most output columns touch the left or right padding, so the row
/// kernel (``DepthwiseRows``) would send them through its clipped per-pixel path. Here each task
/// copies its channel slice of the input into a scratch image padded with zero columns on both
/// sides (a few KB, so it stays in L1) and runs every output column through the unrolled
/// four-column block; rows outside the input are still skipped, as in the row kernel. The padded
/// taps add `0 · w`, which leaves every sum exactly as the unpadded kernel computes it.
///
/// Tasks own whole channel slices of one image, so each writes its channels' sums directly and no
/// partial sums need reducing.
struct DepthwiseSlices {
  let input: UnsafePointer<Float>
  let weights: UnsafePointer<Float>
  let bias: UnsafePointer<Float>?
  let output: UnsafeMutablePointer<Float>
  let channels: Int
  let geometry: ConvolutionGeometry
  let activation: Activation

  /// The widest channel slice (floats), which sizes the scratch.
  static let sliceWidth = 16

  /// Whether the slice kernel takes this shape: channels in multiples of 8, a kernel width and stride
  /// with an unrolled block, at least four output columns, and few enough that it beats the row
  /// kernel. Measured on Zen 4 with B0–B3 shapes: 5×5 stride 1 is 20–50% faster up to 40 output
  /// columns (most on 7×7 maps), 3×3 stride 1 5–40% up to 20; stride 2 gains up to 14 columns and
  /// loses 10–40% on wider maps, where the copy costs more than the clipped border columns save.
  static func handles(geometry g: ConvolutionGeometry, channels: Int) -> Bool {
    guard channels >= 8, channels % 8 == 0, g.outputWidth >= 4 else { return false }
    switch (g.kernelWidth, g.strideWidth) {
    case (5, 1): return g.outputWidth <= 40
    case (3, 1): return g.outputWidth <= 20
    case (3, 2), (5, 2): return g.outputWidth <= 14
    default: return false
    }
  }

  /// Columns of the padded scratch: the input columns (and padding) that the output columns read.
  static func paddedWidth(_ g: ConvolutionGeometry) -> Int {
    (g.outputWidth - 1) * g.strideWidth + g.kernelWidth
  }

  /// Floats of scratch one task needs.
  static func scratchFloats(geometry g: ConvolutionGeometry) -> Int {
    g.inputHeight * paddedWidth(g) * sliceWidth
  }

  /// The channel slices of one image: 16 channels each, the last 8 when `channels % 16 == 8`.
  static func sliceCount(channels: Int) -> Int { (channels + 15) / 16 }

  /// Convolves slices `slices` of image `image`, writing their activated output and, when `sums` is
  /// given (`C` floats of this image), their channels' sums of the activated output.
  func compute(
    image: Int, slices: Range<Int>, scratch: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>?
  ) {
    for slice in slices {
      let channel = slice * 16
      let wide = channel + 16 <= channels
      switch (geometry.kernelWidth, geometry.strideWidth) {
      case (3, 1): compute(DepthwiseColumns3Stride1.self, wide: wide, image, channel, scratch)
      case (3, 2): compute(DepthwiseColumns3Stride2.self, wide: wide, image, channel, scratch)
      case (5, 1): compute(DepthwiseColumns5Stride1.self, wide: wide, image, channel, scratch)
      case (5, 2): compute(DepthwiseColumns5Stride2.self, wide: wide, image, channel, scratch)
      default: preconditionFailure("DepthwiseSlices does not handle \(geometry)")
      }
      let g = geometry
      activation.withPointwiseFunction(
        SliceActivation(
          values: output + image * g.outputHeight * g.outputWidth * channels + channel,
          pixels: g.outputHeight * g.outputWidth, pixelStride: channels, width: wide ? 16 : 8,
          sums: sums.map { $0 + channel }))
    }
  }

  /// One slice of 16 channels (`wide`) or 8.
  @inline(__always)
  private func compute<Shape: DepthwiseColumnShape>(
    _ shape: Shape.Type, wide: Bool, _ image: Int, _ channel: Int, _ scratch: UnsafeMutablePointer<Float>
  ) {
    if wide {
      compute(shape, SIMD16<Float>.self, image, channel, scratch)
    } else {
      compute(shape, SIMD8<Float>.self, image, channel, scratch)
    }
  }

  /// One slice: pad it into `scratch`, then compute every output row from the padded rows.
  @inline(__always)
  private func compute<Shape: DepthwiseColumnShape, Vector: SIMD>(
    _ shape: Shape.Type, _ vector: Vector.Type, _ image: Int, _ channel: Int,
    _ scratch: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let g = geometry
    let c = channels
    let lanes = Vector.scalarCount
    let width = Self.paddedWidth(g)
    let firstInputColumn = min(width, g.padLeft)
    let endInputColumn = min(width, g.padLeft + g.inputWidth)
    var destination = scratch
    var source = input + image * g.inputHeight * g.inputWidth * c + channel
    for _ in 0..<g.inputHeight {
      for column in 0..<width {
        let inside = column >= firstInputColumn && column < endInputColumn
        let value: Vector = inside ? LaneAccess.load(source + (column - g.padLeft) * c) : Vector()
        LaneAccess.store(value, destination)
        destination += lanes
      }
      source += g.inputWidth * c
    }

    var start = Vector()
    if let bias { start = LaneAccess.load(bias + channel) }
    let rowStride = width * lanes
    for outputRow in 0..<g.outputHeight {
      let top = outputRow * g.strideHeight - g.padTop
      let firstTap = max(0, -top)
      let rowCount = max(0, min(g.kernelHeight, g.inputHeight - top) - firstTap)
      let firstRow = rowCount > 0 ? scratch + (top + firstTap) * rowStride : scratch
      let rowWeights = weights + firstTap * g.kernelWidth * c + channel
      let out = output + (image * g.outputHeight + outputRow) * g.outputWidth * c + channel
      var column = 0
      while column < g.outputWidth {
        // The last block is shifted left to end at the row's end (at least four columns exist).
        let blockStart = min(column, g.outputWidth - 4)
        let sums = DepthwiseRows.fourColumns(
          shape, start: start, input: firstRow + blockStart * Shape.strideWidth * lanes, pixelStride: lanes,
          rowStride: rowStride, weights: rowWeights, tapStride: c, rowCount: rowCount)
        let blockOut = out + blockStart * c
        LaneAccess.storeFour(sums, blockOut, stride: c)
        column += 4
      }
    }
  }
}

/// Applies an activation in place to one channel slice (`width` floats, a multiple of 8, every
/// `pixelStride` floats for `pixels` pixels) and stores each channel's sum of the activated values,
/// pixel by pixel in order, into `sums[0..<width]`.
struct SliceActivation: PointwiseFunctionBody {
  var values: UnsafeMutablePointer<Float>
  var pixels: Int
  var pixelStride: Int
  var width: Int
  var sums: UnsafeMutablePointer<Float>?

  func run<Function: PointwiseFunction>(_ function: Function.Type) {
    var lane = 0
    while lane < width {
      var total = SIMD8<Float>()
      var pointer = values + lane
      for _ in 0..<pixels {
        var value = LaneAccess.load(pointer)
        if Function.activation != .identity {
          value = Function.apply(value)
          LaneAccess.store(value, pointer)
        }
        total += value
        pointer += pixelStride
      }
      if let sums { LaneAccess.store(total, sums + lane) }
      lane += 8
    }
  }
}
