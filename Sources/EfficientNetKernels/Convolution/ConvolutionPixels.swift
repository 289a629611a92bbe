/// Computes single output pixels `[Cout]` of a general convolution (bias + taps, no activation).
///
/// The kernel rows and columns that fall in the padding are clipped once per pixel. Output channels
/// go 32, 16 and then 8 at a time (the packed weights are zero-padded to a multiple of 8 per group),
/// and successive taps alternate between two accumulators so that consecutive fused multiply-adds
/// do not wait on each other (for one group, a row's taps are one contiguous sequence).
struct ConvolutionPixels {
  let input: UnsafePointer<Float>
  let weights: UnsafePointer<Float>
  let bias: UnsafePointer<Float>?
  let output: UnsafeMutablePointer<Float>
  let inputChannels: Int
  let outputChannels: Int
  let groups: Int
  let geometry: ConvolutionGeometry
  let inputPerGroup: Int
  let outputPerGroup: Int
  let paddedOutput: Int

  init(
    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, inputChannels: Int, outputChannels: Int, groups: Int,
    geometry: ConvolutionGeometry
  ) {
    self.input = input
    self.weights = weights
    self.bias = bias
    self.output = output
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.groups = groups
    self.geometry = geometry
    self.inputPerGroup = inputChannels / groups
    self.outputPerGroup = outputChannels / groups
    self.paddedOutput = (outputChannels / groups + 7) / 8 * 8
  }

  /// The in-bounds part of one pixel's receptive field, per group.
  struct Taps {
    var firstInput: UnsafePointer<Float>
    var firstWeight: UnsafePointer<Float>
    var rowCount: Int
    var columnCount: Int
  }

  /// Writes `output[image, row, column, :]` = bias + convolution.
  func compute(image: Int, row: Int, column: Int) {
    let g = geometry
    let top = row * g.strideHeight - g.padTop
    let firstRow = max(0, -top)
    let rowCount = max(0, min(g.kernelHeight, g.inputHeight - top) - firstRow)
    let left = column * g.strideWidth - g.padLeft
    let firstColumn = max(0, -left)
    let columnCount = max(0, min(g.kernelWidth, g.inputWidth - left) - firstColumn)
    let inside = rowCount > 0 && columnCount > 0
    let out = output + ((image * g.outputHeight + row) * g.outputWidth + column) * outputChannels
    for group in 0..<groups {
      let firstPixel = ((image * g.inputHeight + top + firstRow) * g.inputWidth + left + firstColumn)
      let taps = Taps(
        firstInput: inside ? input + (firstPixel * inputChannels + group * inputPerGroup) : input,
        firstWeight: weights
          + ((group * g.kernelHeight + firstRow) * g.kernelWidth + firstColumn) * inputPerGroup
            * paddedOutput,
        rowCount: inside ? rowCount : 0, columnCount: columnCount)
      let groupOutput = out + group * outputPerGroup
      let groupBias = bias.map { $0 + group * outputPerGroup }
      var block = 0
      while block + 32 <= paddedOutput {
        accumulate(
          SIMD16<Float>.self, pair: true, block: block, taps: taps, bias: groupBias, output: groupOutput)
        block += 32
      }
      if block + 16 <= paddedOutput {
        accumulate(
          SIMD16<Float>.self, pair: false, block: block, taps: taps, bias: groupBias, output: groupOutput)
        block += 16
      }
      if block + 8 <= paddedOutput {
        accumulate(
          SIMD8<Float>.self, pair: false, block: block, taps: taps, bias: groupBias, output: groupOutput)
      }
    }
  }

  /// Output channels `block ..< block + Vector.scalarCount` of one group, or twice as many when `pair`
  /// (lanes past the group's channel count are computed from zero weights and not stored).
  ///
  /// Generic `SIMD32<Float>` arithmetic is not lowered to vector instructions (it runs lane by lane
  /// through the stack), so 32 channels are two `SIMD16` halves.
  @inline(__always)
  private func accumulate<Vector: SIMD>(
    _ vector: Vector.Type, pair: Bool, block: Int, taps: Taps, bias: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let width = Vector.scalarCount
    var (a, b) = (startingValue(Vector.self, block: block, bias: bias), Vector())
    var (highA, highB) = (Vector(), Vector())
    if pair { highA = startingValue(Vector.self, block: block &+ width, bias: bias) }
    let inputRowStride = geometry.inputWidth &* inputChannels
    let weightRowStride = geometry.kernelWidth &* inputPerGroup &* paddedOutput
    let tapsPerRow = groups == 1 ? taps.columnCount &* inputChannels : inputPerGroup
    let segments = groups == 1 ? 1 : taps.columnCount
    var inputRow = taps.firstInput
    var weightRow = taps.firstWeight + block
    for _ in 0..<taps.rowCount {
      // With one group, a row's in-bounds taps (kernel column, input channel) are one contiguous
      // sequence in both the input and the packed weights; with several, each kernel column is one.
      var x = inputRow
      var w = weightRow
      for _ in 0..<segments {
        var tap = 0
        while tap < tapsPerRow {
          let value = Vector(repeating: x[tap])
          let weight = w + tap &* paddedOutput
          if tap & 1 == 0 {
            a = a.addingProduct(value, load(weight))
            if pair { highA = highA.addingProduct(value, load(weight + width)) }
          } else {
            b = b.addingProduct(value, load(weight))
            if pair { highB = highB.addingProduct(value, load(weight + width)) }
          }
          tap &+= 1
        }
        x += inputChannels
        w += inputPerGroup &* paddedOutput
      }
      inputRow += inputRowStride
      weightRow += weightRowStride
    }
    store(a + b, block: block, output: output)
    if pair { store(highA + highB, block: block &+ width, output: output) }
  }

  /// Output columns `column` and `column + 1` of one output row, for one group, when both windows'
  /// kernel columns lie inside the input: every weight load serves both pixels (the stem's inner loop
  /// is otherwise bound by loads).
  func computePair(image: Int, row: Int, column: Int) {
    let g = geometry
    let top = row * g.strideHeight - g.padTop
    let firstRow = max(0, -top)
    let rowCount = max(0, min(g.kernelHeight, g.inputHeight - top) - firstRow)
    let left = column * g.strideWidth - g.padLeft
    let out = output + ((image * g.outputHeight + row) * g.outputWidth + column) * outputChannels
    let first =
      input + ((image * g.inputHeight + max(0, top + firstRow)) * g.inputWidth + left) * inputChannels
    let weightStart = weights + firstRow * g.kernelWidth * inputChannels * paddedOutput
    var block = 0
    while block + 32 <= paddedOutput {
      accumulatePair(
        SIMD16<Float>.self, double: true, block: block, first: first, rowCount: rowCount,
        weights: weightStart, output: out)
      block += 32
    }
    if block + 16 <= paddedOutput {
      accumulatePair(
        SIMD16<Float>.self, double: false, block: block, first: first, rowCount: rowCount,
        weights: weightStart, output: out)
      block += 16
    }
    if block + 8 <= paddedOutput {
      accumulatePair(
        SIMD8<Float>.self, double: false, block: block, first: first, rowCount: rowCount,
        weights: weightStart, output: out)
    }
  }

  @inline(__always)
  private func accumulatePair<Vector: SIMD>(
    _ vector: Vector.Type, double: Bool, block: Int, first: UnsafePointer<Float>, rowCount: Int,
    weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) where Vector.Scalar == Float {
    let width = Vector.scalarCount
    let g = geometry
    var a0 = startingValue(Vector.self, block: block, bias: bias)
    var a1 = a0
    var b0 = double ? startingValue(Vector.self, block: block &+ width, bias: bias) : Vector()
    var b1 = b0
    let taps = g.kernelWidth &* inputChannels
    let inputRowStride = g.inputWidth &* inputChannels
    let weightRowStride = taps &* paddedOutput
    var x0 = first
    var x1 = first + g.strideWidth &* inputChannels
    var w = weights + block
    for _ in 0..<rowCount {
      var tap = 0
      while tap < taps {
        let weight = w + tap &* paddedOutput
        let low: Vector = load(weight)
        let v0 = Vector(repeating: x0[tap])
        let v1 = Vector(repeating: x1[tap])
        a0 = a0.addingProduct(v0, low)
        a1 = a1.addingProduct(v1, low)
        if double {
          let high: Vector = load(weight + width)
          b0 = b0.addingProduct(v0, high)
          b1 = b1.addingProduct(v1, high)
        }
        tap &+= 1
      }
      x0 += inputRowStride
      x1 += inputRowStride
      w += weightRowStride
    }
    store(a0, block: block, output: output)
    store(a1, block: block, output: output + outputChannels)
    if double {
      store(b0, block: block &+ width, output: output)
      store(b1, block: block &+ width, output: output + outputChannels)
    }
  }

  /// The bias of output channels `block ..< block + width` (zero past the group's channel count).
  @inline(__always)
  private func startingValue<Vector: SIMD>(
    _ vector: Vector.Type, block: Int, bias: UnsafePointer<Float>?
  ) -> Vector where Vector.Scalar == Float {
    guard let bias else { return Vector() }
    let valid = min(Vector.scalarCount, outputPerGroup - block)
    if valid == Vector.scalarCount { return load(bias + block) }
    var value = Vector()
    for lane in 0..<max(0, valid) { value[lane] = bias[block + lane] }
    return value
  }

  /// Stores the lanes of output channels `block ..< block + width` that exist.
  @inline(__always)
  private func store<Vector: SIMD>(_ value: Vector, block: Int, output: UnsafeMutablePointer<Float>)
  where Vector.Scalar == Float {
    let valid = min(Vector.scalarCount, outputPerGroup - block)
    if valid == Vector.scalarCount {
      UnsafeMutableRawPointer(output + block).storeBytes(of: value, as: Vector.self)
    } else {
      for lane in 0..<max(0, valid) { output[block + lane] = value[lane] }
    }
  }

  @inline(__always)
  private func load<Vector: SIMD>(_ pointer: UnsafePointer<Float>) -> Vector where Vector.Scalar == Float {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
  }
}
