/// Gradients of ``FeatureResampling``'s max pooling and nearest upsampling.
extension FeatureResampling {
  /// Max pooling's input gradient: each output's gradient goes to the first input position (row
  /// by row, then column) holding its window's maximum, as PyTorch routes it. Adds into
  /// `inputGradient` when `accumulate`, else overwrites it.
  ///
  /// - Parameters:
  ///   - input: the forward input `[N, H, W, C]`.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: the forward's window, stride and padding.
  ///   - outputGradient: `[N, OH, OW, C]`.
  ///   - inputGradient: `[N, H, W, C]`.
  ///   - accumulate: add instead of overwrite.
  ///   - pool: the threads to use (one task per image and channel block).
  public static func maxPoolBackward(
    input: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    outputGradient: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>,
    accumulate: Bool, pool: ComputePool = .shared
  ) {
    let (height, width) = (geometry.inputHeight, geometry.inputWidth)
    let (outputHeight, outputWidth) = (geometry.outputHeight, geometry.outputWidth)
    precondition(input.count == batch * height * width * channels && inputGradient.count == input.count)
    precondition(outputGradient.count == batch * outputHeight * outputWidth * channels)
    guard let source = input.baseAddress, let gradient = outputGradient.baseAddress,
      let target = inputGradient.baseAddress
    else { return }
    if !accumulate { target.initialize(repeating: 0, count: inputGradient.count) }
    // One task per image: windows overlap, so rows of one image are never split between tasks.
    pool.parallelFor(batch) { image in
      for row in 0..<outputHeight {
        let top = row * geometry.strideHeight - geometry.padTop
        let rows = max(0, top)..<min(height, top + geometry.kernelHeight)
        for column in 0..<outputWidth {
          let left = column * geometry.strideWidth - geometry.padLeft
          let columns = max(0, left)..<min(width, left + geometry.kernelWidth)
          let outputOffset = ((image * outputHeight + row) * outputWidth + column) * channels
          for channel in 0..<channels {
            var best = -Float.infinity
            var bestOffset = -1
            for inputRow in rows {
              for inputColumn in columns {
                let offset = ((image * height + inputRow) * width + inputColumn) * channels + channel
                if source[offset] > best || bestOffset < 0 {
                  best = source[offset]
                  bestOffset = offset
                }
              }
            }
            if bestOffset >= 0 { target[bestOffset] += gradient[outputOffset + channel] }
          }
        }
      }
    }
  }

  /// Nearest upsampling's input gradient: each output's gradient added to the input position it
  /// copied. Adds into `inputGradient` when `accumulate`, else overwrites it.
  ///
  /// - Parameters:
  ///   - outputGradient: `[N, OH, OW, C]`.
  ///   - batch, height, width, channels: the input's N, H, W, C.
  ///   - outputHeight, outputWidth: the forward's output size.
  ///   - inputGradient: `[N, H, W, C]`.
  ///   - accumulate: add instead of overwrite.
  ///   - pool: the threads to use (one task per image).
  public static func nearestUpsampleBackward(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
    outputHeight: Int, outputWidth: Int, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
    pool: ComputePool = .shared
  ) {
    precondition(outputGradient.count == batch * outputHeight * outputWidth * channels)
    precondition(inputGradient.count == batch * height * width * channels)
    guard let gradient = outputGradient.baseAddress, let target = inputGradient.baseAddress else { return }
    if !accumulate { target.initialize(repeating: 0, count: inputGradient.count) }
    let sourceColumns = (0..<outputWidth).map { nearestSourceIndex($0, input: width, output: outputWidth) }
    pool.parallelFor(batch) { image in
      for row in 0..<outputHeight {
        let inputRow = nearestSourceIndex(row, input: height, output: outputHeight)
        for column in 0..<outputWidth {
          let from = gradient + ((image * outputHeight + row) * outputWidth + column) * channels
          let to = target + ((image * height + inputRow) * width + sourceColumns[column]) * channels
          for channel in 0..<channels { to[channel] += from[channel] }
        }
      }
    }
  }
}
