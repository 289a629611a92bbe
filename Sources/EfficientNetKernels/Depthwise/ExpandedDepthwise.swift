extension DepthwiseConvolution {
  /// The depthwise output rows computed per band by
  /// ``expandAndConvolve(input:batch:inputChannels:expansion:expansionBias:channels:geometry:weights:bias:activation:output:channelSums:scratch:pool:)``:
  /// as many as keep a band's expanded input rows within about 192 KB (so they stay in L2).
  public static func fusedBandRows(geometry g: ConvolutionGeometry, channels: Int) -> Int {
    let rowFloats = g.inputWidth * channels
    let budgetRows = max(g.kernelHeight, (192 * 1024 / 4) / max(1, rowFloats))
    return max(1, min(g.outputHeight, (budgetRows - g.kernelHeight) / g.strideHeight + 1))
  }

  /// Floats of scratch one task needs: a window of expanded input rows, at least one band's and
  /// about 384 KB, which bands fill in order (so rows are moved only when the window is full).
  public static func fusedScratchPerTask(geometry g: ConvolutionGeometry, channels: Int) -> Int {
    fusedWindowRows(geometry: g, channels: channels) * g.inputWidth * channels
  }

  /// The rows of the expanded-row window: one band's rows or more, up to about 384 KB.
  static func fusedWindowRows(geometry g: ConvolutionGeometry, channels: Int) -> Int {
    let bandRows = fusedBandRows(geometry: g, channels: channels)
    let bandInputRows = (bandRows - 1) * g.strideHeight + g.kernelHeight
    let budget = (384 * 1024 / 4) / max(1, g.inputWidth * channels)
    return min(g.inputHeight, max(bandInputRows, budget))
  }

  /// The number of tasks (and scratch slots) the fused kernel splits a batch into.
  public static func fusedTaskCount(batch: Int, geometry g: ConvolutionGeometry, pool: ComputePool) -> Int {
    batch * partsPerImage(batch: batch, units: g.outputHeight, threads: pool.threadCount)
  }

  /// How many parts each image's `units` (output rows, or channel slices) are split into: enough
  /// that `batch` times it is a multiple of the thread count, and no more than there are units.
  static func partsPerImage(batch: Int, units: Int, threads: Int) -> Int {
    min(units, max(1, threads / greatestCommonDivisor(batch, threads)))
  }

  /// A 1×1 expansion (with its bias and activation) followed by the depthwise convolution, without
  /// ever holding the whole expanded tensor: each task walks its output rows in bands, expands just
  /// the input rows a band reads into its scratch (keeping the rows the previous band already
  /// expanded), and convolves them while they are in cache.
  ///
  /// The result equals ``GEMM/multiply(rows:input:inputRowStride:inputScale:weights:bias:activation:residual:residualRowStride:output:outputRowStride:pool:)``
  /// into a buffer followed by
  /// ``convolve(input:batch:channels:geometry:weights:bias:activation:output:channelSums:pool:)``
  /// exactly (the same sums in the same order).
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, Cin]`.
  ///   - expansion: `B[Cin, C]` packed; `expansionBias` `[C]` or nil. The activation applies to both
  ///     the expansion and the depthwise output.
  ///   - channels: C, the expanded channel count.
  ///   - geometry: the depthwise geometry (H, W are the input's).
  ///   - weights, bias: the depthwise `[KH, KW, C]` weights and `[C]` bias.
  ///   - output: `[N, OH, OW, C]`.
  ///   - channelSums: when given, `N · C` per-image sums of the activated output.
  ///   - scratch: ``fusedTaskCount(batch:geometry:pool:)`` × ``fusedScratchPerTask(geometry:channels:)``
  ///     floats.
  public static func expandAndConvolve(
    input: UnsafePointer<Float>, batch: Int, inputChannels: Int, expansion: PackedWeights,
    expansionBias: UnsafePointer<Float>?, channels: Int, geometry g: ConvolutionGeometry,
    weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, activation: Activation,
    output: UnsafeMutableBufferPointer<Float>, channelSums: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(
      expansion.inputCount == inputChannels && expansion.outputCount == channels, "expansion is Cin×C")
    precondition(weights.count == g.kernelHeight * g.kernelWidth * channels, "weights must be [KH,KW,C]")
    precondition(
      output.count == batch * g.outputHeight * g.outputWidth * channels, "output must be [N,OH,OW,C]")
    guard let weightBase = weights.baseAddress, let outputBase = output.baseAddress, batch > 0 else { return }
    let blocksPerImage = partsPerImage(batch: batch, units: g.outputHeight, threads: pool.threadCount)
    let taskCount = batch * blocksPerImage
    let rowsPerBlock = (g.outputHeight + blocksPerImage - 1) / blocksPerImage
    let bandRows = fusedBandRows(geometry: g, channels: channels)
    let scratchPerTask = fusedScratchPerTask(geometry: g, channels: channels)
    let windowRows = fusedWindowRows(geometry: g, channels: channels)
    let rowFloats = g.inputWidth * channels
    let imageOutputFloats = g.outputHeight * g.outputWidth * channels

    withUnsafeTemporaryAllocation(of: Float.self, capacity: channelSums == nil ? 0 : taskCount * channels) {
      partialSums in
      let sumsBase = channelSums == nil ? nil : partialSums.baseAddress
      if let sumsBase { sumsBase.initialize(repeating: 0, count: taskCount * channels) }
      pool.parallelFor(taskCount) { task in
        let image = task / blocksPerImage
        let rowStart = (task % blocksPerImage) * rowsPerBlock
        let rowEnd = min(g.outputHeight, rowStart + rowsPerBlock)
        let sums = sumsBase.map { $0 + task * channels }
        let band = scratch + task * scratchPerTask
        let imageInput = input + image * g.inputHeight * g.inputWidth * inputChannels
        // The window holds the expansions of input rows windowStart..<windowEnd, row r at
        // band + (r − windowStart) · rowFloats. Bands ask for rows in increasing order; when a band's rows
        // do not fit, the rows it keeps move to the front.
        var windowStart = 0
        var windowEnd = 0
        var outputRow = rowStart
        while outputRow < rowEnd {
          let bandEnd = min(rowEnd, outputRow + bandRows)
          let needed =
            max(
              0, outputRow * g.strideHeight - g.padTop)..<min(
              g.inputHeight, (bandEnd - 1) * g.strideHeight - g.padTop + g.kernelHeight)
          if needed.lowerBound >= windowEnd || needed.lowerBound < windowStart {
            (windowStart, windowEnd) = (needed.lowerBound, needed.lowerBound)
          } else if needed.upperBound > windowStart + windowRows {
            band.update(
              from: band + (needed.lowerBound - windowStart) * rowFloats,
              count: (windowEnd - needed.lowerBound) * rowFloats)
            windowStart = needed.lowerBound
          }
          if windowEnd < needed.upperBound {
            // Inside the parallel loop the pool runs this product inline on this thread.
            GEMM.multiply(
              rows: (needed.upperBound - windowEnd) * g.inputWidth,
              input: imageInput + windowEnd * g.inputWidth * inputChannels, inputRowStride: inputChannels,
              inputScale: nil, weights: expansion, bias: expansionBias, activation: activation, residual: nil,
              residualRowStride: 0, output: band + (windowEnd - windowStart) * rowFloats,
              outputRowStride: channels, pool: pool)
            windowEnd = needed.upperBound
          }
          // The kernel only reads rows inside `needed`, all in the window.
          let rows = DepthwiseRows(
            input: UnsafePointer(band) - windowStart * rowFloats, weights: weightBase,
            bias: bias?.baseAddress, output: outputBase + image * imageOutputFloats, channels: channels,
            geometry: g, activation: activation)
          for row in outputRow..<bandEnd { rows.computeRow(image: 0, outputRow: row, sums: sums) }
          outputRow = bandEnd
        }
      }
      if let channelSums, let sumsBase {
        reducePartialSums(
          sumsBase, batch: batch, blocksPerImage: blocksPerImage, channels: channels, into: channelSums)
      }
    }
  }
}
