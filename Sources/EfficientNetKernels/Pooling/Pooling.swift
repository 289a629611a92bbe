/// Pooling over the spatial axes of NHWC activations, and its gradient.
public enum Pooling {
  /// Averages every channel over all pixels of each image: `output[n, c] = mean_p input[n, p, c]`.
  ///
  /// - Parameters:
  ///   - input: `[N, P, C]` (P = H·W pixels).
  ///   - batch: N.
  ///   - pixels: P (at least 1).
  ///   - channels: C.
  ///   - output: `[N, C]`.
  ///   - pool: the threads to use (one task per image).
  public static func globalAveragePool(
    input: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(pixels >= 1 && channels >= 1, "pixels and channels must be at least 1")
    precondition(input.count == batch * pixels * channels, "input must be [N, P, C]")
    precondition(output.count == batch * channels, "output must be [N, C]")
    guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return }
    let scale = 1 / Float(pixels)
    pool.parallelFor(batch) { image in
      let sums = outputBase + image * channels
      sums.initialize(repeating: 0, count: channels)
      var pixel = inputBase + image * pixels * channels
      for _ in 0..<pixels {
        var channel = 0
        while channel &+ 8 <= channels {
          LaneAccess.store(LaneAccess.load(sums + channel) + LaneAccess.load(pixel + channel), sums + channel)
          channel &+= 8
        }
        while channel < channels {
          sums[channel] += pixel[channel]
          channel &+= 1
        }
        pixel += channels
      }
      var channel = 0
      while channel &+ 8 <= channels {
        LaneAccess.store(LaneAccess.load(sums + channel) * scale, sums + channel)
        channel &+= 8
      }
      while channel < channels {
        sums[channel] *= scale
        channel &+= 1
      }
    }
  }

  /// The naive twin of ``globalAveragePool(input:batch:pixels:channels:output:pool:)``.
  ///
  /// - Parameters:
  ///   - input: `[N, P, C]`.
  ///   - batch: N.
  ///   - pixels: P.
  ///   - channels: C.
  ///   - output: `[N, C]`.
  public static func globalAveragePoolReference(
    input: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(input.count == batch * pixels * channels, "input must be [N, P, C]")
    precondition(output.count == batch * channels, "output must be [N, C]")
    for image in 0..<batch {
      for channel in 0..<channels {
        var sum: Float = 0
        for pixel in 0..<pixels {
          sum += input[(image * pixels + pixel) * channels + channel]
        }
        output[image * channels + channel] = sum / Float(pixels)
      }
    }
  }
}
