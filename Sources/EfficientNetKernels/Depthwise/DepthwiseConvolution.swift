/// Depthwise 2-D convolution over NHWC activations: every channel is convolved with its own
/// `KH × KW` filter, then a per-channel bias and an activation are applied.
///
/// The fast path vectorizes over channels (`SIMD8<Float>`), computes four output columns at a time
/// with the kernel shapes of EfficientNet (3×3 and 5×5, stride 1 and 2) specialized, runs the padded
/// border columns through a separate bounds-aware path, and splits the work over images × output rows.
/// It can also hand back each image's per-channel sum of the activated output, which is the
/// global-average-pool input of the squeeze-and-excitation block that follows.
public enum DepthwiseConvolution {
  /// Repacks PyTorch depthwise weights `[C, 1, KH, KW]` into the `[KH, KW, C]` layout of
  /// ``convolve(input:batch:channels:geometry:weights:bias:activation:output:channelSums:pool:)``.
  ///
  /// - Parameters:
  ///   - weights: `C · KH · KW` floats in PyTorch order.
  ///   - channels: C.
  ///   - kernelHeight: KH.
  ///   - kernelWidth: KW.
  /// - Returns: `KH · KW · C` floats, channel fastest.
  public static func packWeights(
    fromPyTorch weights: UnsafeBufferPointer<Float>, channels: Int, kernelHeight: Int, kernelWidth: Int
  ) -> [Float] {
    let taps = kernelHeight * kernelWidth
    precondition(channels >= 1 && taps >= 1, "channels and kernel must be at least 1")
    precondition(weights.count == channels * taps, "depthwise weights must hold C·KH·KW floats")
    var packed = [Float](repeating: 0, count: weights.count)
    packed.withUnsafeMutableBufferPointer {
      packWeights(
        fromPyTorch: weights, channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
        into: $0)
    }
    return packed
  }

  /// Packs into caller-provided memory of `KH · KW · C` floats (no allocation).
  public static func packWeights(
    fromPyTorch weights: UnsafeBufferPointer<Float>, channels: Int, kernelHeight: Int, kernelWidth: Int,
    into packed: UnsafeMutableBufferPointer<Float>
  ) {
    let taps = kernelHeight * kernelWidth
    precondition(
      weights.count == channels * taps && packed.count == weights.count, "depthwise weights: C·KH·KW floats")
    for channel in 0..<channels {
      for tap in 0..<taps {
        packed[tap * channels + channel] = weights[channel * taps + tap]
      }
    }
  }

  /// Convolves each channel with its own filter, adds the bias and applies the activation.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, C]`, with H and W from `geometry`.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: kernel size, stride and padding; `geometry.inputHeight/Width` are H and W.
  ///   - weights: `[KH, KW, C]` (see ``packWeights(fromPyTorch:channels:kernelHeight:kernelWidth:)``).
  ///   - bias: `[C]`, or `nil` for none.
  ///   - activation: applied to every output value after the bias.
  ///   - output: `[N, OH, OW, C]`; must not overlap `input`.
  ///   - channelSums: when given, `N · C` floats that receive `Σ_{oy,ox} output[n, oy, ox, c]`
  ///     (the activated values) at `n · C + c`.
  ///   - pool: the threads to use.
  public static func convolve(
    input: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, activation: Activation,
    output: UnsafeMutableBufferPointer<Float>, channelSums: UnsafeMutablePointer<Float>? = nil,
    pool: ComputePool = .shared
  ) {
    let g = geometry
    precondition(batch >= 1 && channels >= 1, "batch and channels must be at least 1")
    precondition(input.count == batch * g.inputHeight * g.inputWidth * channels, "input must be [N,H,W,C]")
    precondition(weights.count == g.kernelHeight * g.kernelWidth * channels, "weights must be [KH,KW,C]")
    precondition(bias.map { $0.count == channels } ?? true, "bias must be [C]")
    precondition(
      output.count == batch * g.outputHeight * g.outputWidth * channels, "output must be [N,OH,OW,C]")
    guard let inputBase = input.baseAddress, let weightBase = weights.baseAddress,
      let outputBase = output.baseAddress
    else { return }

    if DepthwiseSlices.handles(geometry: g, channels: channels) {
      let slices = DepthwiseSlices(
        input: inputBase, weights: weightBase, bias: bias?.baseAddress, output: outputBase,
        channels: channels, geometry: g, activation: activation)
      convolveSlices(slices, batch: batch, channelSums: channelSums, pool: pool)
      return
    }
    // Tasks never span two images, so each task's channel sums belong to one image. Enough row
    // blocks per image that the task count is a multiple of the thread count.
    let threads = pool.threadCount
    let blocksPerImage = partsPerImage(batch: batch, units: g.outputHeight, threads: threads)
    let taskCount = batch * blocksPerImage
    let rowsPerBlock = (g.outputHeight + blocksPerImage - 1) / blocksPerImage

    withUnsafeTemporaryAllocation(of: Float.self, capacity: channelSums == nil ? 0 : taskCount * channels) {
      partialSums in
      let sumsBase = channelSums == nil ? nil : partialSums.baseAddress
      if let sumsBase { sumsBase.initialize(repeating: 0, count: taskCount * channels) }
      let rows = DepthwiseRows(
        input: inputBase, weights: weightBase, bias: bias?.baseAddress, output: outputBase,
        channels: channels, geometry: g, activation: activation)
      pool.parallelFor(taskCount) { task in
        let image = task / blocksPerImage
        let block = task % blocksPerImage
        let rowStart = block * rowsPerBlock
        let rowEnd = min(g.outputHeight, rowStart + rowsPerBlock)
        let sums = sumsBase.map { $0 + task * channels }
        for outputRow in rowStart..<max(rowStart, rowEnd) {
          rows.computeRow(image: image, outputRow: outputRow, sums: sums)
        }
      }
      if let channelSums, let sumsBase {
        reducePartialSums(
          sumsBase, batch: batch, blocksPerImage: blocksPerImage, channels: channels, into: channelSums)
      }
    }
  }

  /// Whether ``convolve(input:batch:channels:geometry:weights:bias:activation:output:channelSums:pool:)``
  /// takes this shape through the small-map kernel that pads channel slices with zero columns
  /// (channels in multiples of 8, 3×3 or 5×5 with stride 1 or 2 across, at least 4 output columns
  /// and at most 40 for 5×5 stride 1, 20 for 3×3 stride 1, 14 for stride 2).
  public static func usesPaddedSlices(geometry: ConvolutionGeometry, channels: Int) -> Bool {
    DepthwiseSlices.handles(geometry: geometry, channels: channels)
  }

  /// Runs the small-map slice kernel: each task takes a contiguous run of one image's channel slices,
  /// with enough runs per image that the task count is a multiple of the thread count.
  private static func convolveSlices(
    _ slices: DepthwiseSlices, batch: Int, channelSums: UnsafeMutablePointer<Float>?, pool: ComputePool
  ) {
    let sliceCount = DepthwiseSlices.sliceCount(channels: slices.channels)
    let runsPerImage = partsPerImage(batch: batch, units: sliceCount, threads: pool.threadCount)
    let taskCount = batch * runsPerImage
    let scratchFloats = DepthwiseSlices.scratchFloats(geometry: slices.geometry)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: taskCount * scratchFloats) { scratch in
      guard let scratchBase = scratch.baseAddress else { return }
      pool.parallelFor(taskCount) { task in
        let image = task / runsPerImage
        let run = task % runsPerImage
        slices.compute(
          image: image, slices: (run * sliceCount / runsPerImage)..<((run + 1) * sliceCount / runsPerImage),
          scratch: scratchBase + task * scratchFloats, sums: channelSums.map { $0 + image * slices.channels })
      }
    }
  }

  /// The naive twin of the fast kernel: seven nested loops over the PyTorch-layout weights.
  ///
  /// Sums the taps in the same order as the fast kernel (`ky` outer, `kx` inner) with fused
  /// multiply-adds, starting from the bias, so the two agree to the rounding of the activation.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, C]`.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: kernel size, stride and padding.
  ///   - pyTorchWeights: `[C, 1, KH, KW]`.
  ///   - bias: `[C]`, or `nil` for none.
  ///   - activation: applied after the bias.
  ///   - output: `[N, OH, OW, C]`.
  ///   - channelSums: when given, receives `N · C` per-image sums of the activated output.
  public static func convolveReference(
    input: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    pyTorchWeights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
    activation: Activation, output: UnsafeMutableBufferPointer<Float>,
    channelSums: UnsafeMutablePointer<Float>? = nil
  ) {
    let g = geometry
    let (height, width) = (g.inputHeight, g.inputWidth)
    precondition(input.count == batch * height * width * channels, "input must be [N,H,W,C]")
    precondition(pyTorchWeights.count == channels * g.kernelHeight * g.kernelWidth, "weights: [C,1,KH,KW]")
    precondition(output.count == batch * g.outputHeight * g.outputWidth * channels, "output: [N,OH,OW,C]")
    for image in 0..<batch {
      for channel in 0..<channels {
        var sum: Float = 0
        for outputRow in 0..<g.outputHeight {
          for outputColumn in 0..<g.outputWidth {
            var value = bias?[channel] ?? 0
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let row = outputRow * g.strideHeight - g.padTop + ky
                let column = outputColumn * g.strideWidth - g.padLeft + kx
                if row < 0 || row >= height || column < 0 || column >= width { continue }
                let x = input[((image * height + row) * width + column) * channels + channel]
                let w = pyTorchWeights[(channel * g.kernelHeight + ky) * g.kernelWidth + kx]
                value = value.addingProduct(x, w)
              }
            }
            value = activation.apply(value)
            let index = ((image * g.outputHeight + outputRow) * g.outputWidth + outputColumn)
            output[index * channels + channel] = value
            sum += value
          }
        }
        channelSums?[image * channels + channel] = sum
      }
    }
  }

  /// Adds each image's per-task channel sums (`[N, blocksPerImage, C]`) into `[N, C]`, blocks in order.
  static func reducePartialSums(
    _ partial: UnsafePointer<Float>, batch: Int, blocksPerImage: Int, channels: Int,
    into channelSums: UnsafeMutablePointer<Float>
  ) {
    for image in 0..<batch {
      let destination = channelSums + image * channels
      destination.initialize(repeating: 0, count: channels)
      for block in 0..<blocksPerImage {
        let source = partial + (image * blocksPerImage + block) * channels
        for channel in 0..<channels { destination[channel] += source[channel] }
      }
    }
  }

  static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return max(a, 1)
  }
}
