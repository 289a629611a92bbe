extension ConvolutionBackward {
  /// The naive twin of ``weightGradient(outputGradient:input:batch:inputChannels:outputChannels:groups:geometry:weightGradient:biasGradient:accumulate:pool:)``:
  /// nested loops over every output value and tap, summing in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, Cout]`.
  ///   - input: `X[N, H, W, Cin]`.
  ///   - batch: N.
  ///   - inputChannels: Cin.
  ///   - outputChannels: Cout.
  ///   - groups: the channel groups.
  ///   - geometry: the forward convolution's geometry.
  ///   - weightGradient: `dW[Cout, Cin/groups, KH, KW]`.
  ///   - biasGradient: `db[Cout]`, or `nil`.
  ///   - accumulate: add to `dW` and `db` instead of overwriting them.
  public static func weightGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, batch: Int,
    inputChannels: Int, outputChannels: Int, groups: Int, geometry: ConvolutionGeometry,
    weightGradient: UnsafeMutableBufferPointer<Float>, biasGradient: UnsafeMutableBufferPointer<Float>?,
    accumulate: Bool
  ) {
    let shape = Shape(
      batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
      geometry: geometry)
    precondition(outputGradient.count == shape.outputCount && input.count == shape.inputCount, "dY, X sizes")
    precondition(weightGradient.count == shape.weightCount, "dW: [Cout, Cin/groups, KH, KW]")
    var sums = weightGradient.map { accumulate ? Double($0) : 0 }
    forEachProduct(shape) { output, inputIndex, weight in
      sums[weight] += Double(outputGradient[output]) * Double(input[inputIndex])
    }
    for index in sums.indices { weightGradient[index] = Float(sums[index]) }
    if let biasGradient {
      precondition(biasGradient.count == outputChannels, "db: [Cout]")
      for channel in 0..<outputChannels {
        var total = accumulate ? Double(biasGradient[channel]) : 0
        for pixel in 0..<shape.outputPixels {
          total += Double(outputGradient[pixel * outputChannels + channel])
        }
        biasGradient[channel] = Float(total)
      }
    }
  }

  /// The naive twin of ``inputGradient(outputGradient:batch:inputChannels:outputChannels:groups:geometry:weights:inputGradient:accumulate:pool:)``,
  /// summing in `Double`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, OH, OW, Cout]`.
  ///   - batch: N.
  ///   - inputChannels: Cin.
  ///   - outputChannels: Cout.
  ///   - groups: the channel groups.
  ///   - geometry: the forward convolution's geometry.
  ///   - weights: `W[Cout, Cin/groups, KH, KW]`.
  ///   - inputGradient: `dX[N, H, W, Cin]`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  public static func inputGradientReference(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
    groups: Int, geometry: ConvolutionGeometry, weights: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    let shape = Shape(
      batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: groups,
      geometry: geometry)
    precondition(
      outputGradient.count == shape.outputCount && weights.count == shape.weightCount, "dY, W sizes")
    precondition(inputGradient.count == shape.inputCount, "dX: [N, H, W, Cin]")
    var sums = inputGradient.map { accumulate ? Double($0) : 0 }
    forEachProduct(shape) { output, inputIndex, weight in
      sums[inputIndex] += Double(outputGradient[output]) * Double(weights[weight])
    }
    for index in sums.indices { inputGradient[index] = Float(sums[index]) }
  }

  /// Calls `body(outputIndex, inputIndex, weightIndex)` for every in-bounds product of the forward
  /// convolution.
  private static func forEachProduct(_ shape: Shape, _ body: (Int, Int, Int) -> Void) {
    let g = shape.geometry
    for image in 0..<shape.batch {
      for outputRow in 0..<g.outputHeight {
        for outputColumn in 0..<g.outputWidth {
          let pixel = (image * g.outputHeight + outputRow) * g.outputWidth + outputColumn
          for outputChannel in 0..<shape.outputChannels {
            let group = outputChannel / shape.outputPerGroup
            for ky in 0..<g.kernelHeight {
              let row = outputRow * g.strideHeight - g.padTop + ky
              if row < 0 || row >= g.inputHeight { continue }
              for kx in 0..<g.kernelWidth {
                let column = outputColumn * g.strideWidth - g.padLeft + kx
                if column < 0 || column >= g.inputWidth { continue }
                for channel in 0..<shape.inputPerGroup {
                  let input =
                    ((image * g.inputHeight + row) * g.inputWidth + column) * shape.inputChannels + group
                    * shape.inputPerGroup + channel
                  let weight =
                    ((outputChannel * shape.inputPerGroup + channel) * g.kernelHeight + ky) * g.kernelWidth
                    + kx
                  body(pixel * shape.outputChannels + outputChannel, input, weight)
                }
              }
            }
          }
        }
      }
    }
  }
}
