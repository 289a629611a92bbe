extension Pooling {
  /// The gradient of ``globalAveragePool(input:batch:pixels:channels:output:pool:)``,
  /// `Y[n, c] = mean_p X[n, p, c]`: `dX[n, p, c] (+)= dY[n, c] / P`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, C]`.
  ///   - batch: N.
  ///   - pixels: P (H·W, at least 1).
  ///   - channels: C (at least 1).
  ///   - inputGradient: `dX[N, P, C]`.
  ///   - accumulate: add to `dX` instead of overwriting it (the pooled tensor usually also feeds the
  ///     channel scaling, whose gradient arrives first).
  ///   - pool: the threads to use.
  public static func globalAveragePoolBackward(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(batch >= 0 && pixels >= 1 && c >= 1, "pixels and channels must be at least 1")
    precondition(outputGradient.count == batch * c, "output gradient must be [N, C]")
    precondition(inputGradient.count == batch * pixels * c, "input gradient must be [N, P, C]")
    guard let dY = outputGradient.baseAddress, let dX = inputGradient.baseAddress else { return }
    let factor = 1 / Float(pixels)
    pool.parallelRanges(batch * pixels, grain: max(1, ActivationBackward.grain / c)) { rows in
      for row in rows {
        let source = dY + row / pixels * c
        let target = dX + row * c
        var j = 0
        while j &+ 8 <= c {
          var value = LaneAccess.load(source + j) * factor
          if accumulate { value += LaneAccess.load(target + j) }
          LaneAccess.store(value, target + j)
          j &+= 8
        }
        while j < c {
          target[j] = (accumulate ? target[j] : 0) + source[j] * factor
          j &+= 1
        }
      }
    }
  }

  /// The naive twin of ``globalAveragePoolBackward(outputGradient:batch:pixels:channels:inputGradient:accumulate:pool:)``.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, C]`.
  ///   - batch: N.
  ///   - pixels: P.
  ///   - channels: C.
  ///   - inputGradient: `dX[N, P, C]`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  public static func globalAveragePoolBackwardReference(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    precondition(outputGradient.count == batch * channels, "output gradient must be [N, C]")
    precondition(inputGradient.count == batch * pixels * channels, "input gradient must be [N, P, C]")
    for image in 0..<batch {
      for pixel in 0..<pixels {
        for channel in 0..<channels {
          let index = (image * pixels + pixel) * channels + channel
          let value = outputGradient[image * channels + channel] / Float(pixels)
          inputGradient[index] = (accumulate ? inputGradient[index] : 0) + value
        }
      }
    }
  }
}
