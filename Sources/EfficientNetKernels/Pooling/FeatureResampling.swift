/// Resizing NHWC feature maps between pyramid levels: max pooling down, nearest-neighbour
/// upsampling to an exact size (EfficientDet's BiFPN).
public enum FeatureResampling {
  /// Max pooling with `geometry`'s window, stride and padding; padded positions never win (they
  /// hold −∞, as TensorFlow's "SAME" and PyTorch's padded pooling do).
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, C]` with H, W `geometry`'s input size.
  ///   - batch: N.
  ///   - channels: C.
  ///   - geometry: window, stride, padding and output size.
  ///   - output: `[N, OH, OW, C]`.
  ///   - pool: the threads to use (one task per output row).
  public static func maxPool(
    input: UnsafeBufferPointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    let (height, width) = (geometry.inputHeight, geometry.inputWidth)
    let (outputHeight, outputWidth) = (geometry.outputHeight, geometry.outputWidth)
    precondition(input.count == batch * height * width * channels, "input must be [N, H, W, C]")
    precondition(
      output.count == batch * outputHeight * outputWidth * channels, "output must be [N, OH, OW, C]")
    guard let source = input.baseAddress, let target = output.baseAddress else { return }
    pool.parallelFor(batch * outputHeight) { task in
      let (image, row) = task.quotientAndRemainder(dividingBy: outputHeight)
      let top = row * geometry.strideHeight - geometry.padTop
      let rows = max(0, top)..<min(height, top + geometry.kernelHeight)
      for column in 0..<outputWidth {
        let left = column * geometry.strideWidth - geometry.padLeft
        let columns = max(0, left)..<min(width, left + geometry.kernelWidth)
        let destination = target + ((image * outputHeight + row) * outputWidth + column) * channels
        destination.initialize(repeating: -.infinity, count: channels)
        for inputRow in rows {
          for inputColumn in columns {
            let pixel = source + ((image * height + inputRow) * width + inputColumn) * channels
            var channel = 0
            while channel &+ 8 <= channels {
              let maximum = pointwiseMax(
                LaneAccess.load(destination + channel), LaneAccess.load(pixel + channel))
              LaneAccess.store(maximum, destination + channel)
              channel &+= 8
            }
            while channel < channels {
              destination[channel] = Swift.max(destination[channel], pixel[channel])
              channel &+= 1
            }
          }
        }
      }
    }
  }

  /// The input row or column nearest-neighbour upsampling reads for output index `index`:
  /// `⌊index · (input / output)⌋` with the scale in single precision, as PyTorch's
  /// `interpolate(mode="nearest")` computes it.
  public static func nearestSourceIndex(_ index: Int, input: Int, output: Int) -> Int {
    let scale = Float(input) / Float(output)
    return Swift.min(Int((Float(index) * scale).rounded(.down)), input - 1)
  }

  /// Nearest-neighbour resizing to exactly `outputHeight`×`outputWidth`.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, C]`.
  ///   - batch, height, width, channels: N, H, W, C.
  ///   - outputHeight, outputWidth: the size to produce.
  ///   - output: `[N, OH, OW, C]`.
  ///   - pool: the threads to use (one task per output row).
  public static func nearestUpsample(
    input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int, outputHeight: Int,
    outputWidth: Int, output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(input.count == batch * height * width * channels, "input must be [N, H, W, C]")
    precondition(
      output.count == batch * outputHeight * outputWidth * channels, "output must be [N, OH, OW, C]")
    guard let source = input.baseAddress, let target = output.baseAddress else { return }
    let sourceColumns = (0..<outputWidth).map { nearestSourceIndex($0, input: width, output: outputWidth) }
    pool.parallelFor(batch * outputHeight) { task in
      let (image, row) = task.quotientAndRemainder(dividingBy: outputHeight)
      let inputRow = nearestSourceIndex(row, input: height, output: outputHeight)
      for column in 0..<outputWidth {
        let pixel = source + ((image * height + inputRow) * width + sourceColumns[column]) * channels
        let destination = target + ((image * outputHeight + row) * outputWidth + column) * channels
        destination.update(from: pixel, count: channels)
      }
    }
  }
}
