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

  /// The factor kept values are multiplied by: `1 / (1 − p)` in `Float`, or 0 when `p = 1`.
  ///
  /// This can differ in the last bit from ``roundedKeepScale(dropProbability:)`` (for example for
  /// p = 0.15 or 0.025); pass that one to the `keepScale:` overloads to match factors computed in
  /// `Double`.
  ///
  /// - Parameter dropProbability: p, in `0...1`.
  public static func keepScale(dropProbability: Float) -> Float {
    precondition(dropProbability >= 0 && dropProbability <= 1, "drop probability must be in 0...1")
    return dropProbability < 1 ? 1 / (1 - dropProbability) : 0
  }

  /// The factor kept values are multiplied by: `1 / (1 − p)` computed in `Double` and rounded once
  /// to `Float` (`Float(1 / (1 − p))`, the training pass's factor), or 0 when `p = 1`.
  ///
  /// - Parameter dropProbability: p, in `0...1`.
  public static func roundedKeepScale(dropProbability: Double) -> Float {
    precondition(dropProbability >= 0 && dropProbability <= 1, "drop probability must be in 0...1")
    return dropProbability < 1 ? Float(1 / (1 - dropProbability)) : 0
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
    forward(
      input: input, keep: keep, keepScale: keepScale(dropProbability: dropProbability), output: output,
      pool: pool)
  }

  /// `y[i] = (x[i] · keep[i]) · s`, with the factor `s` of kept values given directly (for example
  /// ``roundedKeepScale(dropProbability:)``).
  ///
  /// For a 0/1 mask this is `x[i] · m[i]` with `m[i] = keep[i] ? s : 0`, to the bit (signed zeros and
  /// NaNs included).
  ///
  /// - Parameters:
  ///   - input: `x`, any shape (for EfficientNet's head, `[N, features]`).
  ///   - keep: one float per value of `x`: 1 keeps it, 0 drops it.
  ///   - keepScale: `s`, the factor of kept values (finite, at least 0).
  ///   - output: `y`, as many floats as `x`; may be the same memory as `x`.
  ///   - pool: the threads to use.
  public static func forward(
    input: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, keepScale: Float,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool = .shared
  ) {
    multiply(input, by: keep, scale: keepScale, into: output, accumulate: false, pool: pool)
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
    backward(
      outputGradient: outputGradient, keep: keep, keepScale: keepScale(dropProbability: dropProbability),
      inputGradient: inputGradient, accumulate: accumulate, pool: pool)
  }

  /// `dX[i] (+)= (dY[i] · keep[i]) · s`, with the mask and factor of the forward pass.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY`.
  ///   - keep: the forward pass's mask, one float per value.
  ///   - keepScale: `s`, the forward pass's factor of kept values (finite, at least 0).
  ///   - inputGradient: `dX`, as many floats as `dY`; may be the same memory as `dY`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func backward(
    outputGradient: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, keepScale: Float,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    multiply(
      outputGradient, by: keep, scale: keepScale, into: inputGradient, accumulate: accumulate, pool: pool)
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

  /// The naive twin of ``forward(input:keep:keepScale:output:pool:)`` (and of the backward pass
  /// without accumulation).
  ///
  /// - Parameters:
  ///   - input: `x`.
  ///   - keep: one float per value.
  ///   - keepScale: `s`.
  ///   - output: `y`.
  public static func forwardReference(
    input: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, keepScale: Float,
    output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(keep.count == input.count && output.count == input.count, "x, keep and y: equal lengths")
    for index in 0..<input.count { output[index] = input[index] * keep[index] * keepScale }
  }

  /// `y[i] (+)= x[i] · factors[i] · scale`, eight lanes at a time.
  private static func multiply(
    _ values: UnsafeBufferPointer<Float>, by factors: UnsafeBufferPointer<Float>, scale: Float,
    into output: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool
  ) {
    precondition(
      factors.count == values.count && output.count == values.count,
      "values, keep mask and result must have the same length")
    precondition(scale.isFinite && scale >= 0, "the keep scale must be finite and at least 0")
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
