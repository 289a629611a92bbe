/// Gradients of a general 2-D ``Convolution`` over NHWC activations (any kernel, stride, padding and
/// group count; EfficientNet's stem): `Y[n, oy, ox, o] = b[o] + Σ_{i,ky,kx} W[o, i, ky, kx] ·
/// X[n, oy·sh − padTop + ky, ox·sw − padLeft + kx, g·Cin/groups + i]` with `g = o / (Cout/groups)`.
///
/// Both gradients go through patches (im2col): row `m = (n, oy, ox)` of a group's patch matrix holds
/// the `Cin/groups · KH · KW` input values its output reads, in PyTorch's `(i, ky, kx)` order, so that
/// `dW_g = dY_gᵀ · patches_g` is a transposed-A product whose result is already in the `[O, I, KH, KW]`
/// layout, and `dpatches_g = dY_g · W_g` scatters back (col2im) into `dX`. Patches are built 128 rows
/// at a time in borrowed scratch memory; nothing is allocated in steady state.
public enum ConvolutionBackward {
  /// Rows of the patch matrix built at a time.
  static let patchRows = 128

  /// The weight gradient `dW[o, i, ky, kx] (+)= Σ_{n,oy,ox} dY[n, oy, ox, o] · X[n, iy, ix, g·I + i]`
  /// (with `iy = oy·sh − padTop + ky`, `ix = ox·sw − padLeft + kx`, zero outside the input), and
  /// optionally the bias gradient `db[o] (+)= Σ dY[n, oy, ox, o]`.
  ///
  /// The `N·OH·OW` output pixels are split into at most 16 parts, a number that depends on the shape
  /// only; each part sums into its own partial gradient and the parts are added in order in `Double`,
  /// so the result does not depend on the thread count.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, Cout]`.
  ///   - input: `X[N, H, W, Cin]`.
  ///   - batch: N (at least 1).
  ///   - inputChannels: Cin, a multiple of `groups`.
  ///   - outputChannels: Cout, a multiple of `groups`.
  ///   - groups: the channel groups (1 for an ordinary convolution).
  ///   - geometry: the forward convolution's geometry.
  ///   - weightGradient: `dW[Cout, Cin/groups, KH, KW]` (PyTorch layout).
  ///   - biasGradient: `db[Cout]`, or `nil` when the convolution has no bias.
  ///   - accumulate: add to `dW` and `db` instead of overwriting them.
  ///   - pool: the threads to use.
  public static func weightGradient(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, batch: Int,
    inputChannels: Int, outputChannels: Int, groups: Int, geometry: ConvolutionGeometry,
    weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>?,
    accumulate: Bool, pool: ComputePool = .shared
  ) {
    let shape = Shape(
      batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
      geometry: geometry)
    precondition(outputGradient.count == shape.outputCount, "output gradient must be [N, OH, OW, Cout]")
    precondition(input.count == shape.inputCount, "input must be [N, H, W, Cin]")
    precondition(
      weightGradient.count == shape.weightCount, "weight gradient must be [Cout, Cin/groups, KH, KW]")
    precondition(biasGradient.map { $0.count == outputChannels } ?? true, "bias gradient must be [Cout]")
    guard let dY = outputGradient.baseAddress, let x = input.baseAddress, let dW = weightGradient.baseAddress
    else { return }
    let (patch, padded) = (shape.patchLength, shape.paddedPatchLength)
    let rows = shape.outputPixels
    // Partial gradient of one part: [Cout, padded patch] then [Cout] for the bias.
    let partialCount = outputChannels * padded + outputChannels
    let parts = max(1, min(16, (rows + 1023) / 1024, (1 << 22) / partialCount))
    ScratchBuffers.shared.withBuffer(capacity: parts * partialCount) { partials in
      pool.parallelFor(parts) { part in
        let partial = partials + part * partialCount
        partial.initialize(repeating: 0, count: partialCount)
        let range = ChunkedReduction.share(of: rows, task: part, taskCount: parts)
        ScratchBuffers.shared.withBuffer(capacity: patchRows * padded) { patches in
          var start = range.lowerBound
          while start < range.upperBound {
            let count = min(patchRows, range.upperBound - start)
            for group in 0..<groups {
              shape.buildPatches(input: x, group: group, rows: start..<(start + count), into: patches)
              StridedProduct.multiply(
                rows: shape.outputPerGroup, columns: padded, depth: count,
                a: dY + start * outputChannels + group * shape.outputPerGroup, aRowStride: 1,
                aDepthStride: outputChannels, b: patches, bRowStride: padded,
                c: partial + group * shape.outputPerGroup * padded, cRowStride: padded, accumulate: true)
            }
            if biasGradient != nil {
              for row in start..<(start + count) {
                ChunkedReduction.addVectors(
                  dY + row * outputChannels, into: partial + outputChannels * padded, count: outputChannels)
              }
            }
            start += count
          }
        }
      }
      for output in 0..<outputChannels {
        for column in 0..<patch {
          var total = accumulate ? Double(dW[output * patch + column]) : 0
          for part in 0..<parts { total += Double(partials[part * partialCount + output * padded + column]) }
          dW[output * patch + column] = Float(total)
        }
      }
      if let db = biasGradient?.baseAddress {
        for output in 0..<outputChannels {
          var total = accumulate ? Double(db[output]) : 0
          for part in 0..<parts {
            total += Double(partials[part * partialCount + outputChannels * padded + output])
          }
          db[output] = Float(total)
        }
      }
    }
  }

  /// The input gradient `dX[n, iy, ix, g·I + i] (+)= Σ dY[n, oy, ox, o] · W[o, i, ky, kx]` over the
  /// output pixels and taps that read `(iy, ix)` and the output channels `o` of group `g`.
  ///
  /// EfficientNet never needs it (the stem's input is the image); it is here for completeness and
  /// runs one task per image.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, Cout]`.
  ///   - batch: N (at least 1).
  ///   - inputChannels: Cin, a multiple of `groups`.
  ///   - outputChannels: Cout, a multiple of `groups`.
  ///   - groups: the channel groups.
  ///   - geometry: the forward convolution's geometry.
  ///   - weights: `W[Cout, Cin/groups, KH, KW]` (PyTorch layout).
  ///   - inputGradient: `dX[N, H, W, Cin]`; must not overlap `dY`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func inputGradient(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
    groups: Int, geometry: ConvolutionGeometry, weights: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    let shape = Shape(
      batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
      geometry: geometry)
    precondition(outputGradient.count == shape.outputCount, "output gradient must be [N, OH, OW, Cout]")
    precondition(weights.count == shape.weightCount, "weights must be [Cout, Cin/groups, KH, KW]")
    precondition(inputGradient.count == shape.inputCount, "input gradient must be [N, H, W, Cin]")
    guard let dY = outputGradient.baseAddress, let w = weights.baseAddress, let dX = inputGradient.baseAddress
    else { return }
    let g = geometry
    let patch = shape.patchLength
    let imagePixels = g.outputHeight * g.outputWidth
    let imageInputs = g.inputHeight * g.inputWidth * inputChannels
    pool.parallelFor(batch) { image in
      if !accumulate { (dX + image * imageInputs).update(repeating: 0, count: imageInputs) }
      ScratchBuffers.shared.withBuffer(capacity: patchRows * patch) { patches in
        var start = image * imagePixels
        let end = start + imagePixels
        while start < end {
          let count = min(patchRows, end - start)
          for group in 0..<groups {
            StridedProduct.multiply(
              rows: count, columns: patch, depth: shape.outputPerGroup,
              a: dY + start * outputChannels + group * shape.outputPerGroup, aRowStride: outputChannels,
              aDepthStride: 1, b: w + group * shape.outputPerGroup * patch, bRowStride: patch,
              c: patches, cRowStride: patch, accumulate: false)
            shape.scatterPatches(patches, group: group, rows: start..<(start + count), into: dX)
          }
          start += count
        }
      }
    }
  }
}
