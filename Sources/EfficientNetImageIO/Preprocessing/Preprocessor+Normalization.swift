/// torchvision's `ToTensor` and `Normalize`, applied to the cropped pixels.
extension Preprocessor {
  /// Writes `(Float(v) / 255 - mean[c]) / std[c]` (float32, in torchvision's order of operations) for
  /// every kept pixel into its place in the crop, and the normalized value of 0 into the padding.
  ///
  /// - Parameters:
  ///   - kept: `rows.count × columns.count × channels` bytes: the resized pixels the crop keeps.
  ///   - columns: Where the crop sits along the width.
  ///   - rows: Where the crop sits along the height.
  ///   - channels: The channels of `kept`: `outputChannels`, or 1 to repeat gray in every channel.
  ///   - configuration: The mean and standard deviation (and the resolution `R`).
  ///   - outputChannels: `C`.
  ///   - output: `R × R × C` floats (HWC).
  static func writeNormalized(
    _ kept: [UInt8], columns: CropPlacement, rows: CropPlacement, channels: Int,
    configuration: PreprocessingConfiguration, outputChannels: Int,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    let resolution = configuration.resolution
    // Every possible result, tabulated: table[v * C + c].
    var table = [Float](repeating: 0, count: 256 * outputChannels)
    for value in 0..<256 {
      for channel in 0..<outputChannels {
        table[value * outputChannels + channel] =
          (Float(value) / 255 - configuration.mean[channel]) / configuration.standardDeviation[channel]
      }
    }
    table.withUnsafeBufferPointer { table in
      guard let table = table.baseAddress, let output = output.baseAddress else { return }
      if columns.count < resolution || rows.count < resolution {  // zero padding, normalized
        for pixel in 0..<(resolution * resolution) {
          (output + pixel * outputChannels).update(from: table, count: outputChannels)
        }
      }
      kept.withUnsafeBufferPointer { kept in
        guard let kept = kept.baseAddress else { return }
        for row in 0..<rows.count {
          let source = kept + row * columns.count * channels
          let target = output + ((row + rows.padding) * resolution + columns.padding) * outputChannels
          if channels == 3 {
            for pixel in 0..<columns.count {
              target[3 * pixel] = table[Int(source[3 * pixel]) &* 3]
              target[3 * pixel + 1] = table[Int(source[3 * pixel + 1]) &* 3 &+ 1]
              target[3 * pixel + 2] = table[Int(source[3 * pixel + 2]) &* 3 &+ 2]
            }
          } else {  // gray, to one channel or repeated in every channel
            for pixel in 0..<columns.count {
              let entry = table + Int(source[pixel]) &* outputChannels
              for channel in 0..<outputChannels { target[pixel * outputChannels + channel] = entry[channel] }
            }
          }
        }
      }
    }
  }
}
