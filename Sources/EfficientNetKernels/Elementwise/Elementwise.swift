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

  /// Writes `activation(source[i])` to `destination[i]`: a copy and ``applyActivation(_:to:pool:)`` in
  /// one parallel pass (each task activates the part it just copied while it is in cache).
  ///
  /// - Parameters:
  ///   - activation: the function to apply (`.identity` copies).
  ///   - source: any number of floats.
  ///   - destination: as many floats as `source`; must not overlap it.
  ///   - pool: the threads to use.
  public static func applyActivation(
    _ activation: Activation, from source: UnsafeBufferPointer<Float>,
    to destination: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(source.count == destination.count, "applyActivation needs buffers of equal length")
    guard let base = destination.baseAddress, let sourceBase = source.baseAddress else { return }
    pool.parallelRanges(source.count, grain: grain) { range in
      (base + range.lowerBound).update(from: sourceBase + range.lowerBound, count: range.count)
      guard activation != .identity else { return }
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

  /// Adds `factor · other` into `values`: `values[i] += factor · other[i]` (a weighted fusion).
  ///
  /// - Parameters:
  ///   - factor: the weight of `other`.
  ///   - other: as many floats as `values`.
  ///   - values: the accumulator, updated in place.
  ///   - pool: the threads to use.
  public static func addScaled(
    _ factor: Float, _ other: UnsafeBufferPointer<Float>, into values: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool = .shared
  ) {
    precondition(other.count == values.count, "addScaled needs buffers of equal length")
    guard let base = values.baseAddress, let otherBase = other.baseAddress else { return }
    pool.parallelRanges(values.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        let sum = LaneAccess.load(otherBase + index) * factor + LaneAccess.load(base + index)
        LaneAccess.store(sum, base + index)
        index &+= 8
      }
      while index < range.upperBound {
        base[index] += otherBase[index] * factor
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
    scaleChannels(
      of: UnsafeBufferPointer(values), into: values, batch: batch, pixels: pixels, channels: channels,
      scales: scales, pool: pool)
  }

  /// ``scaleChannels(_:batch:pixels:channels:scales:pool:)`` out of place:
  /// `destination[n, p, c] = source[n, p, c] · scales[n, c]`.
  ///
  /// - Parameters:
  ///   - source: `[N, P, C]`.
  ///   - destination: `[N, P, C]`; the same memory as `source` or none of it.
  public static func scaleChannels(
    of source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Float>, batch: Int,
    pixels: Int, channels: Int, scales: UnsafeBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    precondition(source.count == batch * pixels * channels, "values must be [N, P, C]")
    precondition(destination.count == source.count, "the destination must be [N, P, C]")
    precondition(scales.count == batch * channels, "scales must be [N, C]")
    guard let base = destination.baseAddress, let sourceBase = source.baseAddress,
      let scaleBase = scales.baseAddress
    else { return }
    let pixelGrain = max(1, grain / max(1, channels))
    pool.parallelRanges(batch * pixels, grain: pixelGrain) { range in
      for imagePixel in range {
        let scale = scaleBase + (imagePixel / pixels) * channels
        let input = sourceBase + imagePixel * channels
        let pixel = base + imagePixel * channels
        var channel = 0
        while channel &+ 8 <= channels {
          LaneAccess.store(
            LaneAccess.load(input + channel) * LaneAccess.load(scale + channel), pixel + channel)
          channel &+= 8
        }
        while channel < channels {
          pixel[channel] = input[channel] * scale[channel]
          channel &+= 1
        }
      }
    }
  }

  /// `destination[n, i] = values[n, i] · scales[n] (+ addend[n, i])` for `N` images of `perImage`
  /// values each: a residual block's output under stochastic depth, and its gradient.
  ///
  /// - Parameters:
  ///   - values: `[N, perImage]`.
  ///   - scales: `[N]`, one factor per image, or `nil` for all ones.
  ///   - addend: `[N, perImage]`, or `nil` for none.
  ///   - destination: `[N, perImage]`; the same memory as `values` or `addend`, or none of either.
  public static func scaleImages(
    _ values: UnsafeBufferPointer<Float>, perImage: Int, scales: UnsafeBufferPointer<Float>?,
    adding addend: UnsafeBufferPointer<Float>?, into destination: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool = .shared
  ) {
    precondition(perImage > 0 && values.count % perImage == 0, "values must be [N, perImage]")
    precondition(destination.count == values.count, "the destination must be [N, perImage]")
    precondition(scales.map { $0.count == values.count / perImage } ?? true, "scales must be [N]")
    precondition(addend.map { $0.count == values.count } ?? true, "the addend must be [N, perImage]")
    guard let base = destination.baseAddress, let valueBase = values.baseAddress else { return }
    let scaleBase = scales?.baseAddress
    let addendBase = addend?.baseAddress
    pool.parallelRanges(values.count, grain: grain) { range in
      // Each image's part of the range with its scale, so the inner loop is plain vector code.
      var start = range.lowerBound
      while start < range.upperBound {
        let image = start / perImage
        let end = min(range.upperBound, (image + 1) * perImage)
        let scale = SIMD8<Float>(repeating: scaleBase?[image] ?? 1)
        var index = start
        if let addendBase {
          while index &+ 8 <= end {
            let sum =
              (LaneAccess.load(valueBase + index) as SIMD8<Float>) * scale
              + LaneAccess.load(addendBase + index)
            LaneAccess.store(sum, base + index)
            index &+= 8
          }
          while index < end {
            base[index] = valueBase[index] * scale[0] + addendBase[index]
            index &+= 1
          }
        } else {
          while index &+ 8 <= end {
            LaneAccess.store((LaneAccess.load(valueBase + index) as SIMD8<Float>) * scale, base + index)
            index &+= 8
          }
          while index < end {
            base[index] = valueBase[index] * scale[0]
            index &+= 1
          }
        }
        start = end
      }
    }
  }

  /// The naive twin of ``scaleImages(_:perImage:scales:adding:into:pool:)``.
  public static func scaleImagesReference(
    _ values: UnsafeBufferPointer<Float>, perImage: Int, scales: UnsafeBufferPointer<Float>?,
    adding addend: UnsafeBufferPointer<Float>?, into destination: UnsafeMutableBufferPointer<Float>
  ) {
    for index in values.indices {
      let scale = scales?[index / perImage] ?? 1
      destination[index] = values[index] * scale + (addend?[index] ?? 0)
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
