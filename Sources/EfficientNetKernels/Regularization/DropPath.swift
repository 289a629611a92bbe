/// Drop path (stochastic depth, timm's `drop_path`): the residual branch of sample `n` is kept
/// with probability `1 − p` and scaled by `1 / (1 − p)`, or dropped whole.
///
/// Like ``Dropout``, the kernels take the caller's keep decisions, one float per sample (1 keeps,
/// 0 drops). The forward pass can add into its output, which fuses the residual connection
/// `y = shortcut + drop_path(branch)`. In evaluation mode drop path is the identity.
public enum DropPath {
  /// `y[n, j] (+)= x[n, j] · keep[n] / (1 − p)`.
  ///
  /// - Parameters:
  ///   - input: `x[N, S]`, the branch output (S = H·W·C values per sample).
  ///   - batch: N (at least 0).
  ///   - keep: `[N]`: 1 keeps sample n's branch, 0 drops it.
  ///   - dropProbability: p, in `0...1`.
  ///   - output: `y[N, S]`; may be the same memory as `x` when not accumulating.
  ///   - accumulate: add to `y` (the shortcut) instead of overwriting it.
  ///   - pool: the threads to use.
  public static func forward(
    input: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>, dropProbability: Float,
    output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    forward(
      input: input, batch: batch, keep: keep, keepScale: Dropout.keepScale(dropProbability: dropProbability),
      output: output, accumulate: accumulate, pool: pool)
  }

  /// `y[n, j] (+)= x[n, j] · (keep[n] · s)`, with the factor `s` of kept samples given directly (for
  /// example ``Dropout/roundedKeepScale(dropProbability:)``).
  ///
  /// For a 0/1 mask this is ``Elementwise/scaleImages(_:perImage:scales:adding:into:pool:)`` with the
  /// factors `keep[n] · s`, to the bit: with `accumulate`, `x · f + y`.
  ///
  /// - Parameters:
  ///   - input: `x[N, S]`, the branch output (S = H·W·C values per sample).
  ///   - batch: N (at least 0).
  ///   - keep: `[N]`: 1 keeps sample n's branch, 0 drops it.
  ///   - keepScale: `s`, the factor of kept samples (finite, at least 0).
  ///   - output: `y[N, S]`; may be the same memory as `x` when not accumulating.
  ///   - accumulate: add to `y` (the shortcut) instead of overwriting it.
  ///   - pool: the threads to use.
  public static func forward(
    input: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>, keepScale: Float,
    output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    scaleSamples(
      input, batch: batch, keep: keep, scale: keepScale, into: output, accumulate: accumulate, pool: pool)
  }

  /// `dX[n, j] (+)= dY[n, j] · keep[n] / (1 − p)`. (The shortcut's gradient is `dY` itself.)
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, S]`.
  ///   - batch: N.
  ///   - keep: the forward pass's `[N]` decisions.
  ///   - dropProbability: p, in `0...1`.
  ///   - inputGradient: `dX[N, S]`; may be the same memory as `dY` when not accumulating.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func backward(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>,
    dropProbability: Float, inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool,
    pool: ComputePool = .shared
  ) {
    backward(
      outputGradient: outputGradient, batch: batch, keep: keep,
      keepScale: Dropout.keepScale(dropProbability: dropProbability), inputGradient: inputGradient,
      accumulate: accumulate, pool: pool)
  }

  /// `dX[n, j] (+)= dY[n, j] · (keep[n] · s)`, with the decisions and factor of the forward pass.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[N, S]`.
  ///   - batch: N.
  ///   - keep: the forward pass's `[N]` decisions.
  ///   - keepScale: `s`, the forward pass's factor of kept samples (finite, at least 0).
  ///   - inputGradient: `dX[N, S]`; may be the same memory as `dY` when not accumulating.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func backward(
    outputGradient: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>,
    keepScale: Float,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    scaleSamples(
      outputGradient, batch: batch, keep: keep, scale: keepScale, into: inputGradient, accumulate: accumulate,
      pool: pool)
  }

  /// The naive twin of ``forward(input:batch:keep:dropProbability:output:accumulate:pool:)``.
  ///
  /// - Parameters:
  ///   - input: `x[N, S]`.
  ///   - batch: N.
  ///   - keep: `[N]`.
  ///   - dropProbability: p.
  ///   - output: `y[N, S]`.
  ///   - accumulate: add to `y` instead of overwriting it.
  public static func forwardReference(
    input: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>, dropProbability: Float,
    output: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    precondition(keep.count == batch && output.count == input.count, "keep: [N], x and y: [N, S]")
    let size = batch == 0 ? 0 : input.count / batch
    for index in 0..<input.count {
      let value = dropProbability >= 1 ? 0 : input[index] * keep[index / size] / (1 - dropProbability)
      output[index] = accumulate ? output[index] + value : value
    }
  }

  /// The naive twin of ``forward(input:batch:keep:keepScale:output:accumulate:pool:)``.
  ///
  /// - Parameters:
  ///   - input: `x[N, S]`.
  ///   - batch: N.
  ///   - keep: `[N]`.
  ///   - keepScale: `s`.
  ///   - output: `y[N, S]`.
  ///   - accumulate: add to `y` instead of overwriting it.
  public static func forwardReference(
    input: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>, keepScale: Float,
    output: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    precondition(keep.count == batch && output.count == input.count, "keep: [N], x and y: [N, S]")
    let size = batch == 0 ? 0 : input.count / batch
    for index in 0..<input.count {
      let value = input[index] * (keep[index / size] * keepScale)
      output[index] = accumulate ? value + output[index] : value
    }
  }

  /// `y[n, j] (+)= x[n, j] · (keep[n] · scale)`, eight lanes at a time.
  private static func scaleSamples(
    _ values: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>, scale: Float,
    into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool
  ) {
    precondition(batch >= 0 && keep.count == batch, "keep must hold one decision per sample")
    precondition(output.count == values.count, "input and output must have the same length")
    precondition(batch == 0 ? values.isEmpty : values.count % batch == 0, "values must be [N, S]")
    precondition(scale.isFinite && scale >= 0, "the keep scale must be finite and at least 0")
    guard batch > 0, let x = values.baseAddress, let y = output.baseAddress else { return }
    let size = values.count / batch
    pool.parallelRanges(values.count, grain: Dropout.grain) { range in
      var index = range.lowerBound
      while index < range.upperBound {
        // One run per sample within the range, with that sample's factor.
        let sample = index / size
        let end = min(range.upperBound, (sample + 1) * size)
        let factor = keep[sample] * scale
        while index &+ 8 <= end {
          var value = LaneAccess.load(x + index) * factor
          if accumulate { value += LaneAccess.load(y + index) }
          LaneAccess.store(value, y + index)
          index &+= 8
        }
        while index < end {
          let value = x[index] * factor
          y[index] = accumulate ? y[index] + value : value
          index &+= 1
        }
      }
    }
  }
}
