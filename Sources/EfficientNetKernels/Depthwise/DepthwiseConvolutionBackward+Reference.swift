extension DepthwiseConvolutionBackward {
  /// The naive twin of ``inputGradient(outputGradient:batch:channels:geometry:weights:inputGradient:accumulate:pool:)``:
  /// scatters every output gradient back through every tap, summing in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, C]`.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: the forward convolution's geometry.
  ///   - weights: `W[C, 1, KH, KW]`.
  ///   - inputGradient: `dX[N, H, W, C]`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  public static func inputGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    weights: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    let g = geometry
    precondition(outputGradient.count == batch * g.outputHeight * g.outputWidth * channels, "dY: [N,OH,OW,C]")
    precondition(weights.count == channels * g.kernelHeight * g.kernelWidth, "weights: [C, 1, KH, KW]")
    precondition(inputGradient.count == batch * g.inputHeight * g.inputWidth * channels, "dX: [N,H,W,C]")
    var sums = inputGradient.map { accumulate ? Double($0) : 0 }
    forEachTap(batch: batch, channels: channels, geometry: g) { output, input, weight in
      sums[input] += Double(outputGradient[output]) * Double(weights[weight])
    }
    for index in sums.indices { inputGradient[index] = Float(sums[index]) }
  }

  /// The naive twin of ``weightGradient(outputGradient:input:batch:channels:geometry:weightGradient:biasGradient:accumulate:pool:)``,
  /// summing in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, C]`.
  ///   - input: `X[N, H, W, C]`.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: the forward convolution's geometry.
  ///   - weightGradient: `dW[C, 1, KH, KW]`.
  ///   - biasGradient: `db[C]`, or `nil`.
  ///   - accumulate: add to `dW` and `db` instead of overwriting them.
  public static func weightGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, batch: Int,
    channels: Int, geometry: ConvolutionGeometry, weightGradient: UnsafeMutableBufferPointer<Float>,
    biasGradient: UnsafeMutableBufferPointer<Float>?, accumulate: Bool
  ) {
    let g = geometry
    precondition(outputGradient.count == batch * g.outputHeight * g.outputWidth * channels, "dY: [N,OH,OW,C]")
    precondition(input.count == batch * g.inputHeight * g.inputWidth * channels, "X: [N, H, W, C]")
    precondition(weightGradient.count == channels * g.kernelHeight * g.kernelWidth, "dW: [C, 1, KH, KW]")
    var sums = weightGradient.map { accumulate ? Double($0) : 0 }
    forEachTap(batch: batch, channels: channels, geometry: g) { output, inputIndex, weight in
      sums[weight] += Double(outputGradient[output]) * Double(input[inputIndex])
    }
    for index in sums.indices { weightGradient[index] = Float(sums[index]) }
    if let biasGradient {
      precondition(biasGradient.count == channels, "db: [C]")
      for channel in 0..<channels {
        var total = accumulate ? Double(biasGradient[channel]) : 0
        for pixel in 0..<(batch * g.outputHeight * g.outputWidth) {
          total += Double(outputGradient[pixel * channels + channel])
        }
        biasGradient[channel] = Float(total)
      }
    }
  }

  /// Calls `body(outputIndex, inputIndex, weightIndex)` for every in-bounds tap of every output value.
  private static func forEachTap(
    batch: Int, channels: Int, geometry g: ConvolutionGeometry, _ body: (Int, Int, Int) -> Void
  ) {
    for image in 0..<batch {
      for outputRow in 0..<g.outputHeight {
        for outputColumn in 0..<g.outputWidth {
          for ky in 0..<g.kernelHeight {
            let row = outputRow * g.strideHeight - g.padTop + ky
            if row < 0 || row >= g.inputHeight { continue }
            for kx in 0..<g.kernelWidth {
              let column = outputColumn * g.strideWidth - g.padLeft + kx
              if column < 0 || column >= g.inputWidth { continue }
              for channel in 0..<channels {
                let output =
                  ((image * g.outputHeight + outputRow) * g.outputWidth + outputColumn) * channels + channel
                let input = ((image * g.inputHeight + row) * g.inputWidth + column) * channels + channel
                let weight = (channel * g.kernelHeight + ky) * g.kernelWidth + kx
                body(output, input, weight)
              }
            }
          }
        }
      }
    }
  }
}
