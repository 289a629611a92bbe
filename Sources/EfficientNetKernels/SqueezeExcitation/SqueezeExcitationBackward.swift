/// Gradients of the piece of a squeeze-and-excitation block that is not a linear layer, an
/// activation or a pool: the per-image channel scaling by the gate.
///
/// The gate's two small fully connected layers are linear layers with `M = N` rows (see
/// ``LinearBackward``); its sigmoid is ``ActivationBackward/sigmoidInputGradient(output:outputGradient:inputGradient:accumulate:pool:)``;
/// the squeeze (the global average pool) is ``Pooling/globalAveragePoolBackward(outputGradient:batch:pixels:channels:inputGradient:accumulate:pool:)``.
public enum SqueezeExcitationBackward {
  /// Gradients of the channel scaling `Y[n, p, c] = X[n, p, c] · s[n, c]`:
  /// `dX[n, p, c] (+)= dY[n, p, c] · s[n, c]` and `ds[n, c] (+)= Σ_p dY[n, p, c] · X[n, p, c]`, in one
  /// pass over `dY` and `X`.
  ///
  /// The sums over pixels run in chunks of 512 pixels added in `Double`; the result does not depend
  /// on the thread count.
  ///
  /// - Parameters:
  ///   - input: `X[N, P, C]` (P = H·W pixels), the forward input.
  ///   - scales: `s[N, C]`, the gate.
  ///   - outputGradient: `dY[N, P, C]`.
  ///   - batch: N (at least 1).
  ///   - pixels: P (at least 1).
  ///   - channels: C (at least 1).
  ///   - inputGradient: `dX[N, P, C]`, or `nil` when not needed; may be the same memory as `dY`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `ds[N, C]`.
  ///   - accumulateScale: add to `ds` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func scaleChannelsBackward(
    input: UnsafeBufferPointer<Float>, scales: UnsafeBufferPointer<Float>,
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    inputGradient: UnsafeMutableBufferPointer<Float>?, accumulateInput: Bool,
    scaleGradient: UnsafeMutableBufferPointer<Float>, accumulateScale: Bool, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(batch >= 1 && pixels >= 1 && c >= 1, "batch, pixels and channels must be at least 1")
    let count = batch * pixels * c
    precondition(input.count == count && outputGradient.count == count, "X and dY must be [N, P, C]")
    precondition(inputGradient.map { $0.count == count } ?? true, "input gradient must be [N, P, C]")
    precondition(scales.count == batch * c && scaleGradient.count == batch * c, "s and ds must be [N, C]")
    guard let x = input.baseAddress, let s = scales.baseAddress, let dY = outputGradient.baseAddress,
      let ds = scaleGradient.baseAddress
    else { return }
    let dX = inputGradient?.baseAddress
    ChunkedReduction.sum(
      segments: batch, rowsPerSegment: pixels, width: c, result: ds, accumulate: accumulateScale, pool: pool
    ) { rows, partial in
      let scale = s + rows.lowerBound / pixels * c
      for row in rows {
        let offset = row * c
        let (gradient, values) = (dY + offset, x + offset)
        let target = dX.map { $0 + offset }
        var j = 0
        while j &+ 8 <= c {
          let g = LaneAccess.load(gradient + j)
          LaneAccess.store(
            LaneAccess.load(partial + j).addingProduct(g, LaneAccess.load(values + j)), partial + j)
          if let target {
            var value = g * LaneAccess.load(scale + j)
            if accumulateInput { value += LaneAccess.load(target + j) }
            LaneAccess.store(value, target + j)
          }
          j &+= 8
        }
        while j < c {
          let g = gradient[j]
          partial[j] = partial[j].addingProduct(g, values[j])
          if let target { target[j] = (accumulateInput ? target[j] : 0) + g * scale[j] }
          j &+= 1
        }
      }
    }
  }

  /// The naive twin of ``scaleChannelsBackward(input:scales:outputGradient:batch:pixels:channels:inputGradient:accumulateInput:scaleGradient:accumulateScale:pool:)``,
  /// summing in `Double`.
  ///
  /// - Parameters:
  ///   - input: `X[N, P, C]`.
  ///   - scales: `s[N, C]`.
  ///   - outputGradient: `dY[N, P, C]`.
  ///   - batch: N.
  ///   - pixels: P.
  ///   - channels: C.
  ///   - inputGradient: `dX[N, P, C]`, or `nil`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `ds[N, C]`.
  ///   - accumulateScale: add to `ds` instead of overwriting it.
  public static func scaleChannelsBackwardReference(
    input: UnsafeBufferPointer<Float>, scales: UnsafeBufferPointer<Float>,
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, pixels: Int, channels: Int,
    inputGradient: UnsafeMutableBufferPointer<Float>?, accumulateInput: Bool,
    scaleGradient: UnsafeMutableBufferPointer<Float>, accumulateScale: Bool
  ) {
    let count = batch * pixels * channels
    precondition(input.count == count && outputGradient.count == count, "X and dY must be [N, P, C]")
    precondition(scales.count == batch * channels && scaleGradient.count == batch * channels, "[N, C]")
    for image in 0..<batch {
      for channel in 0..<channels {
        let scale = scales[image * channels + channel]
        var total = accumulateScale ? Double(scaleGradient[image * channels + channel]) : 0
        for pixel in 0..<pixels {
          let index = (image * pixels + pixel) * channels + channel
          total += Double(outputGradient[index]) * Double(input[index])
          if let inputGradient {
            inputGradient[index] =
              (accumulateInput ? inputGradient[index] : 0) + outputGradient[index] * scale
          }
        }
        scaleGradient[image * channels + channel] = Float(total)
      }
    }
  }
}
