import EfficientNetCore
import EfficientNetKernels

/// Inverted dropout on `[N, F]` features in training mode (the identity at inference): each value is
/// kept with probability `1 − p` and scaled by `1/(1 − p)`, the mask drawn from the step's generator.
public struct DropoutLayer {
  /// p.
  public let rate: Double

  /// Dropout with rate `p` in `0..<1`.
  public init(rate: Double) {
    precondition(rate >= 0 && rate < 1, "dropout rate must be in 0..<1")
    self.rate = rate
  }

  /// `output = input · mask · 1/(1 − p)`; returns the mask (1 keeps, 0 drops). With `p = 0` no draw
  /// is made and every value is kept.
  public func forward(
    _ input: FloatBuffer, output: FloatBuffer, generator: inout SeededGenerator, workspace: Workspace,
    pool: ComputePool
  ) -> FloatBuffer {
    let keep = workspace.next(input.count)
    for index in 0..<input.count {
      let kept = rate == 0 || Double.random(in: 0..<1, using: &generator) >= rate
      keep.pointer[index] = kept ? 1 : 0
    }
    Dropout.forward(
      input: input.readable, keep: keep.readable, keepScale: scale, output: output.buffer, pool: pool)
    return keep
  }

  /// `gradient ·= mask · 1/(1 − p)` in place, with the forward pass's mask.
  public func backward(_ gradient: FloatBuffer, keep: FloatBuffer, pool: ComputePool) {
    Dropout.backward(
      outputGradient: gradient.readable, keep: keep.readable, keepScale: scale,
      inputGradient: gradient.buffer,
      accumulate: false, pool: pool)
  }

  /// `1/(1 − p)`, rounded once from `Double`.
  public var scale: Float { Dropout.roundedKeepScale(dropProbability: rate) }
}

/// Stochastic depth on a residual branch: each image's branch is kept with probability `1 − p` and
/// scaled by `1/(1 − p)`, then the skip input is added.
public struct DropPathLayer {
  /// p.
  public let rate: Double

  /// Drop path with rate `p` in `0..<1` (0: the plain residual).
  public init(rate: Double) {
    precondition(rate >= 0 && rate < 1, "drop-path rate must be in 0..<1")
    self.rate = rate
  }

  /// `1/(1 − p)`, rounded once from `Double`.
  public var scale: Float { Dropout.roundedKeepScale(dropProbability: rate) }

  /// `output[n] = branch[n] · keep[n] / (1 − p) + skip[n]`; returns the per-image mask (1 keeps, 0
  /// drops), or nil when the rate is 0 (no draw is made and every branch is kept unscaled).
  public func forward(
    branch: FloatBuffer, skip: FloatBuffer, batch: Int, output: FloatBuffer, generator: inout SeededGenerator,
    workspace: Workspace, pool: ComputePool
  ) -> FloatBuffer? {
    var keep: FloatBuffer?
    let factors = workspace.next(batch)
    factors.buffer.update(repeating: 1)
    if rate > 0 {
      let mask = workspace.next(batch)
      for image in 0..<batch {
        let kept = Double.random(in: 0..<1, using: &generator) >= rate
        mask.pointer[image] = kept ? 1 : 0
        factors.pointer[image] = kept ? scale : 0
      }
      keep = mask
    }
    // The scaled branch and the skip in one pass (the block's input stays intact for the backward).
    Elementwise.scaleImages(
      branch.readable, perImage: branch.count / batch, scales: factors.readable, adding: skip.readable,
      into: output.buffer, pool: pool)
    return keep
  }

  /// The branch's gradient, `dBranch[n] = dOutput[n] · keep[n] / (1 − p)` with the forward's mask
  /// (the skip's gradient is `dOutput` itself).
  public func backward(
    _ outputGradient: FloatBuffer, keep: FloatBuffer?, batch: Int, into branchGradient: FloatBuffer,
    pool: ComputePool
  ) {
    guard let keep else {
      Elementwise.scaleImages(
        outputGradient.readable, perImage: outputGradient.count / batch, scales: nil, adding: nil,
        into: branchGradient.buffer, pool: pool)
      return
    }
    DropPath.backward(
      outputGradient: outputGradient.readable, batch: batch, keep: keep.readable, keepScale: scale,
      inputGradient: branchGradient.buffer, accumulate: false, pool: pool)
  }
}
