/// Gradients of ``DepthwiseConvolution``: `Y[n, oy, ox, c] = b[c] + Σ_{ky,kx} W[c, 0, ky, kx] ·
/// X[n, oy·sh − padTop + ky, ox·sw − padLeft + kx, c]` (positions outside the input read zero), for
/// any kernel size, stride and ``ConvolutionGeometry`` (symmetric or TensorFlow-SAME padding).
///
/// Both kernels vectorize over channels. The input gradient is gathered per input pixel: the taps
/// that read a pixel follow from its position (those with `k ≡ position + pad` modulo the stride),
/// their products are summed in registers and stored once, and each task owns whole rows of `dX`, so
/// threads write disjoint memory. The weight gradient gives each task a block of 16 channels across
/// the whole batch. Both sum every element in an order that does not
/// depend on the thread count, and borrow their workspace (`[KH, KW, C]` weights or sums) from a
/// pool of scratch buffers, so they allocate nothing in steady state.
public enum DepthwiseConvolutionBackward {
  /// The input gradient `dX[n, iy, ix, c] (+)= Σ dY[n, oy, ox, c] · W[c, 0, ky, kx]` over the
  /// `(oy, ox, ky, kx)` with `oy·sh − padTop + ky = iy` and `ox·sw − padLeft + kx = ix`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, C]`.
  ///   - batch: N (at least 1).
  ///   - channels: C (at least 1).
  ///   - geometry: the forward convolution's geometry (H, W, KH, KW, strides, padding, OH, OW).
  ///   - weights: `W[C, 1, KH, KW]` (PyTorch layout).
  ///   - inputGradient: `dX[N, H, W, C]`; must not overlap `dY`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use (split over images × input rows).
  public static func inputGradient(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    weights: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
    pool: ComputePool = .shared
  ) {
    let g = geometry
    let taps = g.kernelHeight * g.kernelWidth
    precondition(batch >= 1 && channels >= 1, "batch and channels must be at least 1")
    precondition(
      outputGradient.count == batch * g.outputHeight * g.outputWidth * channels,
      "output gradient must be [N, OH, OW, C]")
    precondition(weights.count == channels * taps, "weights must be [C, 1, KH, KW]")
    precondition(
      inputGradient.count == batch * g.inputHeight * g.inputWidth * channels,
      "input gradient must be [N, H, W, C]")
    guard let dY = outputGradient.baseAddress, let w = weights.baseAddress,
      let dX = inputGradient.baseAddress
    else { return }
    let c = channels
    ScratchBuffers.shared.withBuffer(capacity: taps * c) { packed in
      for channel in 0..<c {
        for tap in 0..<taps { packed[tap * c + channel] = w[channel * taps + tap] }
      }
      let rowFloats = g.inputWidth * c
      let grain = max(1, 16_384 / max(1, rowFloats * taps))
      pool.parallelRanges(batch * g.inputHeight, grain: grain) { rows in
        for imageRow in rows {
          let image = imageRow / g.inputHeight
          let vertical = contributingTaps(
            position: imageRow % g.inputHeight, pad: g.padTop, stride: g.strideHeight, kernel: g.kernelHeight,
            outputs: g.outputHeight)
          let firstSourceRow = dY + ((image * g.outputHeight + vertical.firstOutput) * g.outputWidth) * c
          for inputColumn in 0..<g.inputWidth {
            let target = dX + (imageRow * g.inputWidth + inputColumn) * c
            let horizontal = contributingTaps(
              position: inputColumn, pad: g.padLeft, stride: g.strideWidth, kernel: g.kernelWidth,
              outputs: g.outputWidth)
            if vertical.count == 0 || horizontal.count == 0 {
              if !accumulate { target.update(repeating: 0, count: c) }
              continue
            }
            let gather = PixelGather(
              source: firstSourceRow + horizontal.firstOutput * c,
              weights: UnsafePointer(packed + (vertical.firstTap * g.kernelWidth + horizontal.firstTap) * c),
              rowCount: vertical.count, columnCount: horizontal.count,
              sourceRowStep: -g.outputWidth * c, sourceColumnStep: -c,
              weightRowStep: g.strideHeight * g.kernelWidth * c, weightColumnStep: g.strideWidth * c)
            gather.run(into: target, channels: c, accumulate: accumulate)
          }
        }
      }
    }
  }

  /// The weight gradient `dW[c, 0, ky, kx] (+)= Σ_{n,oy,ox} dY[n, oy, ox, c] ·
  /// X[n, oy·sh − padTop + ky, ox·sw − padLeft + kx, c]`, and optionally the bias gradient
  /// `db[c] (+)= Σ_{n,oy,ox} dY[n, oy, ox, c]`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, C]`.
  ///   - input: `X[N, H, W, C]`, the forward convolution's input.
  ///   - batch: N (at least 1).
  ///   - channels: C (at least 1).
  ///   - geometry: the forward convolution's geometry.
  ///   - weightGradient: `dW[C, 1, KH, KW]` (PyTorch layout).
  ///   - biasGradient: `db[C]`, or `nil` when the convolution has no bias.
  ///   - accumulate: add to `dW` and `db` instead of overwriting them.
  ///   - pool: the threads to use (one task per block of 16 channels).
  public static func weightGradient(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, batch: Int,
    channels: Int, geometry: ConvolutionGeometry, weightGradient: UnsafeMutableBufferPointer<Float>,
    biasGradient: UnsafeMutableBufferPointer<Float>?, accumulate: Bool, pool: ComputePool = .shared
  ) {
    let g = geometry
    let taps = g.kernelHeight * g.kernelWidth
    precondition(batch >= 1 && channels >= 1, "batch and channels must be at least 1")
    precondition(
      outputGradient.count == batch * g.outputHeight * g.outputWidth * channels,
      "output gradient must be [N, OH, OW, C]")
    precondition(input.count == batch * g.inputHeight * g.inputWidth * channels, "input must be [N, H, W, C]")
    precondition(weightGradient.count == channels * taps, "weight gradient must be [C, 1, KH, KW]")
    precondition(biasGradient.map { $0.count == channels } ?? true, "bias gradient must be [C]")
    guard let dY = outputGradient.baseAddress, let x = input.baseAddress,
      let dW = weightGradient.baseAddress
    else { return }
    let c = channels
    let blockCount = (c + 15) / 16
    // Sums, laid out [KH, KW, C] then [C] for the bias; each task owns its channels' columns.
    ScratchBuffers.shared.withBuffer(capacity: (taps + 1) * c) { sums in
      pool.parallelFor(blockCount) { block in
        let first = block * 16
        let lanes = min(16, c - first)
        for tap in 0...taps { (sums + tap * c + first).update(repeating: 0, count: lanes) }
        for image in 0..<batch {
          for outputRow in 0..<g.outputHeight {
            let sourceRow = dY + ((image * g.outputHeight + outputRow) * g.outputWidth) * c + first
            if biasGradient != nil {
              accumulateRowSum(
                sourceRow, stride: c, count: g.outputWidth, lanes: lanes, into: sums + taps * c + first)
            }
            for ky in 0..<g.kernelHeight {
              let inputRow = outputRow * g.strideHeight - g.padTop + ky
              guard inputRow >= 0, inputRow < g.inputHeight else { continue }
              let inputRowStart = x + ((image * g.inputHeight + inputRow) * g.inputWidth) * c + first
              for kx in 0..<g.kernelWidth {
                let columns = validOutputColumns(geometry: g, kernelColumn: kx)
                guard !columns.isEmpty else { continue }
                let firstInputColumn = columns.lowerBound * g.strideWidth - g.padLeft + kx
                accumulateDot(
                  sourceRow + columns.lowerBound * c, inputRowStart + firstInputColumn * c,
                  gradientStride: c, inputStride: g.strideWidth * c, count: columns.count, lanes: lanes,
                  into: sums + (ky * g.kernelWidth + kx) * c + first)
              }
            }
          }
        }
      }
      for channel in 0..<c {
        for tap in 0..<taps {
          let value = sums[tap * c + channel]
          dW[channel * taps + tap] = accumulate ? dW[channel * taps + tap] + value : value
        }
      }
      if let db = biasGradient?.baseAddress {
        for channel in 0..<c {
          db[channel] = accumulate ? db[channel] + sums[taps * c + channel] : sums[taps * c + channel]
        }
      }
    }
  }

  /// The kernel taps `k = firstTap + j·stride` (for `j < count`) through which input position
  /// `position` feeds an output, with output `o = firstOutput − j`: the `k` in `0..<kernel` with
  /// `k ≡ position + pad (mod stride)` and `o = (position + pad − k) / stride` in `0..<outputs`.
  @inline(__always)
  static func contributingTaps(position: Int, pad: Int, stride: Int, kernel: Int, outputs: Int)
    -> (firstTap: Int, firstOutput: Int, count: Int)
  {
    let shifted = position + pad
    let remainder = shifted % stride
    let output = shifted / stride
    guard remainder < kernel else { return (0, 0, 0) }
    let first = max(0, output - outputs + 1)
    let last = min((kernel - 1 - remainder) / stride, output)
    guard first <= last else { return (0, 0, 0) }
    return (remainder + first * stride, output - first, last - first + 1)
  }

  /// The output columns `ox` whose input column `ox·sw − padLeft + kx` lies inside the input.
  @inline(__always)
  static func validOutputColumns(geometry g: ConvolutionGeometry, kernelColumn kx: Int) -> Range<Int> {
    validOutputs(
      kernelOffset: kx, stride: g.strideWidth, pad: g.padLeft, input: g.inputWidth, output: g.outputWidth)
  }

  /// The outputs `o` in `0..<output` with `0 ≤ o·stride − pad + kernelOffset < input`.
  @inline(__always)
  static func validOutputs(kernelOffset: Int, stride: Int, pad: Int, input: Int, output: Int) -> Range<Int> {
    let low = pad - kernelOffset  // o·stride ≥ low
    let high = input - 1 + pad - kernelOffset  // o·stride ≤ high
    if high < 0 { return 0..<0 }
    let first = low <= 0 ? 0 : (low + stride - 1) / stride
    let end = min(output, high / stride + 1)
    return first < end ? first..<end : 0..<0
  }

  /// `sums[j] += Σ_{i < count} gradient[i · gradientStride + j] · input[i · inputStride + j]` for the
  /// `lanes` (at most 16) channels `j`.
  @inline(__always)
  private static func accumulateDot(
    _ gradient: UnsafePointer<Float>, _ input: UnsafePointer<Float>, gradientStride: Int, inputStride: Int,
    count: Int, lanes: Int, into sums: UnsafeMutablePointer<Float>
  ) {
    var j = 0
    if lanes == 16 {
      // Both vectors and two pixels at a time: four independent sums hide the FMA latency.
      var (a0, a1, b0, b1) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
      var (g, x) = (gradient, input)
      var i = 0
      while i &+ 2 <= count {
        a0 = a0.addingProduct(LaneAccess.load(g), LaneAccess.load(x))
        a1 = a1.addingProduct(LaneAccess.load(g + 8), LaneAccess.load(x + 8))
        b0 = b0.addingProduct(LaneAccess.load(g + gradientStride), LaneAccess.load(x + inputStride))
        b1 = b1.addingProduct(
          LaneAccess.load(g + (gradientStride &+ 8)), LaneAccess.load(x + (inputStride &+ 8)))
        g += 2 &* gradientStride
        x += 2 &* inputStride
        i &+= 2
      }
      if i < count {
        a0 = a0.addingProduct(LaneAccess.load(g), LaneAccess.load(x))
        a1 = a1.addingProduct(LaneAccess.load(g + 8), LaneAccess.load(x + 8))
      }
      LaneAccess.store(LaneAccess.load(sums) + (a0 + b0), sums)
      LaneAccess.store(LaneAccess.load(sums + 8) + (a1 + b1), sums + 8)
      return
    }
    while j &+ 8 <= lanes {
      var (first, second) = (SIMD8<Float>(), SIMD8<Float>())
      var (g, x) = (gradient + j, input + j)
      var i = 0
      while i &+ 2 <= count {
        first = first.addingProduct(LaneAccess.load(g), LaneAccess.load(x))
        second = second.addingProduct(LaneAccess.load(g + gradientStride), LaneAccess.load(x + inputStride))
        g += 2 &* gradientStride
        x += 2 &* inputStride
        i &+= 2
      }
      if i < count { first = first.addingProduct(LaneAccess.load(g), LaneAccess.load(x)) }
      LaneAccess.store(LaneAccess.load(sums + j) + (first + second), sums + j)
      j &+= 8
    }
    while j < lanes {
      var total: Float = 0
      for i in 0..<count {
        total = total.addingProduct(gradient[i * gradientStride + j], input[i * inputStride + j])
      }
      sums[j] += total
      j &+= 1
    }
  }

  /// `sums[j] += Σ_{i < count} values[i · stride + j]` for the `lanes` (at most 16) channels `j`.
  @inline(__always)
  private static func accumulateRowSum(
    _ values: UnsafePointer<Float>, stride: Int, count: Int, lanes: Int,
    into sums: UnsafeMutablePointer<Float>
  ) {
    var j = 0
    while j &+ 8 <= lanes {
      var total = SIMD8<Float>()
      for i in 0..<count { total += LaneAccess.load(values + (i * stride + j)) }
      LaneAccess.store(LaneAccess.load(sums + j) + total, sums + j)
      j &+= 8
    }
    while j < lanes {
      var total: Float = 0
      for i in 0..<count { total += values[i * stride + j] }
      sums[j] += total
      j &+= 1
    }
  }
}
