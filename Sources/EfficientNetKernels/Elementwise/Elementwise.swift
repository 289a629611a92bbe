/// In-place pointwise operations on float buffers: activations, residual adds and per-channel scaling.
public enum Elementwise {
  /// Values per parallel task; smaller buffers run on the calling thread.
  static let grain = 32_768

  /// Applies `activation` to every value in place.
  ///
  /// - Parameters:
  ///   - activation: the function to apply.
  ///   - values: any number of floats.
  ///   - pool: the threads to use.
  public static func applyActivation(
    _ activation: Activation, to values: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    guard let base = values.baseAddress, activation != .identity else { return }
    pool.parallelRanges(values.count, grain: grain) { range in
      activation.withPointwiseFunction(
        ActivationPass(values: base + range.lowerBound, pixels: 1, channels: range.count, sums: nil))
    }
  }

  /// The naive twin of ``applyActivation(_:to:pool:)``: the scalar activation, one value at a time.
  public static func applyActivationReference(
    _ activation: Activation, to values: UnsafeMutableBufferPointer<Float>
  ) {
    for index in values.indices { values[index] = activation.apply(values[index]) }
  }

  /// Adds `other` into `values`: `values[i] += other[i]` (the residual connection).
  ///
  /// - Parameters:
  ///   - values: the accumulator, updated in place.
  ///   - other: as many floats as `values`.
  ///   - pool: the threads to use.
  public static func add(
    _ other: UnsafeBufferPointer<Float>, into values: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool = .shared
  ) {
    precondition(other.count == values.count, "add needs buffers of equal length")
    guard let base = values.baseAddress, let otherBase = other.baseAddress else { return }
    pool.parallelRanges(values.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        LaneAccess.store(LaneAccess.load(base + index) + LaneAccess.load(otherBase + index), base + index)
        index &+= 8
      }
      while index < range.upperBound {
        base[index] += otherBase[index]
        index &+= 1
      }
    }
  }

  /// The naive twin of ``add(_:into:pool:)``.
  public static func addReference(
    _ other: UnsafeBufferPointer<Float>, into values: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(other.count == values.count, "add needs buffers of equal length")
    for index in values.indices { values[index] += other[index] }
  }

  /// Multiplies every pixel's channels by that image's per-channel scales:
  /// `values[n, p, c] *= scales[n, c]` (applying the squeeze-and-excitation gate).
  ///
  /// - Parameters:
  ///   - values: `[N, P, C]`, updated in place.
  ///   - batch: N.
  ///   - pixels: P (H·W).
  ///   - channels: C.
  ///   - scales: `[N, C]`.
  ///   - pool: the threads to use.
  public static func scaleChannels(
    _ values: UnsafeMutableBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    scales: UnsafeBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(values.count == batch * pixels * channels, "values must be [N, P, C]")
    precondition(scales.count == batch * channels, "scales must be [N, C]")
    guard let base = values.baseAddress, let scaleBase = scales.baseAddress else { return }
    let pixelGrain = max(1, grain / max(1, channels))
    pool.parallelRanges(batch * pixels, grain: pixelGrain) { range in
      for imagePixel in range {
        let scale = scaleBase + (imagePixel / pixels) * channels
        let pixel = base + imagePixel * channels
        var channel = 0
        while channel &+ 8 <= channels {
          LaneAccess.store(
            LaneAccess.load(pixel + channel) * LaneAccess.load(scale + channel), pixel + channel)
          channel &+= 8
        }
        while channel < channels {
          pixel[channel] *= scale[channel]
          channel &+= 1
        }
      }
    }
  }

  /// The naive twin of ``scaleChannels(_:batch:pixels:channels:scales:pool:)``.
  public static func scaleChannelsReference(
    _ values: UnsafeMutableBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    scales: UnsafeBufferPointer<Float>
  ) {
    precondition(values.count == batch * pixels * channels, "values must be [N, P, C]")
    precondition(scales.count == batch * channels, "scales must be [N, C]")
    for image in 0..<batch {
      for pixel in 0..<pixels {
        for channel in 0..<channels {
          values[(image * pixels + pixel) * channels + channel] *= scales[image * channels + channel]
        }
      }
    }
  }
}
