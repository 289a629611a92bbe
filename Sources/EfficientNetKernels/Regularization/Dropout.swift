/// Inverted dropout: each value is kept with probability `1 − p` and scaled by `1 / (1 − p)`, so the
/// expected output equals the input (PyTorch's `nn.Dropout` in training mode).
///
/// The kernels hold no random generator: the caller draws the keep decisions (for example with
/// EfficientNetCore's seeded generator) and passes them as floats, `1` to keep and `0` to drop, so a
/// training step is reproducible from its seed and forward and backward use the same mask. With
/// `p = 1` everything is dropped and the scale is 0. In evaluation mode dropout is the identity and
/// needs no kernel.
public enum Dropout {
  /// Values per parallel task; smaller buffers run on the calling thread.
  static let grain = 32_768

  /// The factor kept values are multiplied by: `1 / (1 − p)`, or 0 when `p = 1`.
  ///
  /// - Parameter dropProbability: p, in `0...1`.
  public static func keepScale(dropProbability: Float) -> Float {
    precondition(dropProbability >= 0 && dropProbability <= 1, "drop probability must be in 0...1")
    return dropProbability < 1 ? 1 / (1 - dropProbability) : 0
  }

  /// `y[i] = x[i] · keep[i] / (1 − p)`.
  ///
  /// - Parameters:
  ///   - input: `x`, any shape (for EfficientNet's head, `[N, features]`).
  ///   - keep: one float per value of `x`: 1 keeps it, 0 drops it.
  ///   - dropProbability: p, in `0...1`.
  ///   - output: `y`, as many floats as `x`; may be the same memory as `x`.
  ///   - pool: the threads to use.
  public static func forward(
    input: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, dropProbability: Float,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    multiply(
      input, by: keep, scale: keepScale(dropProbability: dropProbability), into: output, accumulate: false,
      pool: pool)
  }

  /// `dX[i] (+)= dY[i] · keep[i] / (1 − p)`, with the mask of the forward pass.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY`.
  ///   - keep: the forward pass's mask, one float per value.
  ///   - dropProbability: p, in `0...1`.
  ///   - inputGradient: `dX`, as many floats as `dY`; may be the same memory as `dY`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func backward(
    outputGradient: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, dropProbability: Float,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    multiply(
      outputGradient, by: keep, scale: keepScale(dropProbability: dropProbability), into: inputGradient,
      accumulate: accumulate, pool: pool)
  }

  /// The naive twin of ``forward(input:keep:dropProbability:output:pool:)`` and, with `dY` for `x`
  /// and `dX` for `y`, of the backward pass without accumulation.
  ///
  /// - Parameters:
  ///   - input: `x`.
  ///   - keep: one float per value.
  ///   - dropProbability: p.
  ///   - output: `y`.
  public static func forwardReference(
    input: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, dropProbability: Float,
    output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(keep.count == input.count && output.count == input.count, "x, keep and y: equal lengths")
    for index in 0..<input.count {
      output[index] = dropProbability >= 1 ? 0 : input[index] * keep[index] / (1 - dropProbability)
    }
  }

  /// `y[i] (+)= x[i] · factors[i] · scale`, eight lanes at a time.
  private static func multiply(
    _ values: UnsafeBufferPointer<Float>, by factors: UnsafeBufferPointer<Float>, scale: Float,
    into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool
  ) {
    precondition(
      factors.count == values.count && output.count == values.count,
      "values, keep mask and result must have the same length")
    guard let x = values.baseAddress, let keep = factors.baseAddress, let y = output.baseAddress else {
      return
    }
    pool.parallelRanges(values.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        var value = LaneAccess.load(x + index) * LaneAccess.load(keep + index) * scale
        if accumulate { value += LaneAccess.load(y + index) }
        LaneAccess.store(value, y + index)
        index &+= 8
      }
      while index < range.upperBound {
        let value = x[index] * keep[index] * scale
        y[index] = accumulate ? y[index] + value : value
        index &+= 1
      }
    }
  }
}

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
    scaleSamples(
      input, batch: batch, keep: keep, dropProbability: dropProbability, into: output, accumulate: accumulate,
      pool: pool)
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
    scaleSamples(
      outputGradient, batch: batch, keep: keep, dropProbability: dropProbability, into: inputGradient,
      accumulate: accumulate, pool: pool)
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

  private static func scaleSamples(
    _ values: UnsafeBufferPointer<Float>, batch: Int, keep: UnsafeBufferPointer<Float>,
    dropProbability: Float,
    into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool
  ) {
    precondition(batch >= 0 && keep.count == batch, "keep must hold one decision per sample")
    precondition(output.count == values.count, "input and output must have the same length")
    precondition(batch == 0 ? values.isEmpty : values.count % batch == 0, "values must be [N, S]")
    guard batch > 0, let x = values.baseAddress, let y = output.baseAddress else { return }
    let size = values.count / batch
    let scale = Dropout.keepScale(dropProbability: dropProbability)
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
          y[index] = (accumulate ? y[index] : 0) + x[index] * factor
          index &+= 1
        }
      }
    }
  }
}
