import Foundation

/// Batch normalization over the `M = N·H·W` rows of NHWC activations `[M, C]`, per channel, in
/// training mode (batch statistics, PyTorch semantics) and in evaluation mode (running statistics).
///
/// Training forward: `μ[c] = mean_m x[m, c]`, `σ²[c] = mean_m (x[m, c] − μ[c])²` (biased),
/// `x̂ = (x − μ) / √(σ² + ε)`, `y = γ·x̂ + β`. The statistics are summed in chunks of 512 rows with
/// the chunk sums added in `Double` (two passes: the mean, then the centered squares), so they do
/// not depend on the thread count. Every pass is vectorized over channels and split over rows.
public enum BatchNormalization {
  /// Rows per parallel task of the elementwise passes, at least; scaled down for wide rows.
  static let grainFloats = 32_768

  /// Normalizes with the batch statistics, saves them for ``backward(outputGradient:input:rows:channels:scale:savedMean:savedInverseStandardDeviation:inputGradient:accumulateInput:scaleGradient:shiftGradient:accumulateParameters:pool:)``
  /// and updates the running statistics like PyTorch's `BatchNorm2d` in training mode.
  ///
  /// The running update is `running = (1 − momentum)·running + momentum·batch`, with the batch's
  /// **unbiased** variance `σ²·M/(M − 1)` for the running variance (the normalization itself uses
  /// the biased one).
  ///
  /// - Parameters:
  ///   - input: `x[M, C]` (NHWC activations with `M = N·H·W`).
  ///   - rows: M, at least 2 (like PyTorch, which refuses one value per channel in training).
  ///   - channels: C (at least 1).
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - epsilon: ε, added to the variance (PyTorch's default 1e-5; TensorFlow ports use 1e-3).
  ///   - output: `y[M, C]`; may be the same memory as `input`.
  ///   - savedMean: `μ[C]`, receives the batch mean.
  ///   - savedInverseStandardDeviation: `[C]`, receives `1 / √(σ² + ε)`.
  ///   - runningMean: `[C]`, updated in place, or `nil` to leave the running statistics alone.
  ///   - runningVariance: `[C]`, updated in place (given exactly when `runningMean` is).
  ///   - momentum: the weight of the batch statistics in the running update (PyTorch's 0.1).
  ///   - activation: applied to `y` into `activatedOutput` (the activation that follows the norm).
  ///   - activatedOutput: `activation(y)[M, C]`, or `nil` for none; must not overlap `input` or
  ///     `output`. Computed in the same pass as `y`, with the same values as applying the activation
  ///     afterwards.
  ///   - pool: the threads to use.
  public static func trainingForward(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, epsilon: Float, output: UnsafeMutableBufferPointer<Float>,
    savedMean: UnsafeMutableBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeMutableBufferPointer<Float>,
    runningMean: UnsafeMutableBufferPointer<Float>?, runningVariance: UnsafeMutableBufferPointer<Float>?,
    momentum: Float = 0.1, activation: Activation = .identity,
    activatedOutput: UnsafeMutableBufferPointer<Float>? = nil, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(rows >= 2, "batch norm in training needs at least 2 values per channel, got \(rows)")
    precondition(c >= 1, "channels must be at least 1")
    precondition(input.count == rows * c && output.count == rows * c, "input and output must be [M, C]")
    precondition(scale.count == c && shift.count == c, "scale and shift must be [C]")
    precondition(savedMean.count == c && savedInverseStandardDeviation.count == c, "saved statistics: [C]")
    precondition((runningMean == nil) == (runningVariance == nil), "give both running statistics or neither")
    precondition(
      (runningMean.map { $0.count == c } ?? true) && (runningVariance.map { $0.count == c } ?? true),
      "running statistics must be [C]")
    precondition(activatedOutput.map { $0.count == rows * c } ?? true, "activated output must be [M, C]")
    guard let x = input.baseAddress, let y = output.baseAddress, let mean = savedMean.baseAddress,
      let inverse = savedInverseStandardDeviation.baseAddress, let gamma = scale.baseAddress,
      let beta = shift.baseAddress
    else { return }
    // Pass 1: the mean.
    ChunkedReduction.sum(
      segments: 1, rowsPerSegment: rows, width: c, result: mean, accumulate: false, pool: pool
    ) { range, partial in
      for row in range { ChunkedReduction.addVectors(x + row * c, into: partial, count: c) }
    }
    let count = Double(rows)
    for channel in 0..<c { mean[channel] = Float(Double(mean[channel]) / count) }
    // Pass 2: the centered sum of squares (into `inverse` for now).
    ChunkedReduction.sum(
      segments: 1, rowsPerSegment: rows, width: c, result: inverse, accumulate: false, pool: pool
    ) { range, partial in
      for row in range { addCenteredSquares(x + row * c, mean: mean, into: partial, count: c) }
    }
    for channel in 0..<c {
      let variance = Double(inverse[channel]) / count
      inverse[channel] = Float(1 / (variance + Double(epsilon)).squareRoot())
      if let runningMean, let runningVariance {
        let m = Double(momentum)
        runningMean[channel] = Float((1 - m) * Double(runningMean[channel]) + m * Double(mean[channel]))
        let unbiased = variance * count / (count - 1)
        runningVariance[channel] = Float((1 - m) * Double(runningVariance[channel]) + m * unbiased)
      }
    }
    // Pass 3: y = (x − μ)·(γ/σ) + β (and its activation).
    ScratchBuffers.shared.withBuffer(capacity: c) { factor in
      for channel in 0..<c { factor[channel] = gamma[channel] * inverse[channel] }
      normalize(
        x, rows: rows, channels: c, center: mean, factor: factor, shift: beta, into: y,
        activation: activation,
        activated: activatedOutput?.baseAddress, pool: pool)
    }
  }

  /// Gradients of ``trainingForward(input:rows:channels:scale:shift:epsilon:output:savedMean:savedInverseStandardDeviation:runningMean:runningVariance:momentum:activation:activatedOutput:pool:)``
  /// with respect to its input and parameters, from the input and the saved statistics.
  ///
  /// With `x̂ = (x − μ)·s` (`s` the saved inverse standard deviation): `dβ (+)= Σ_m dY`,
  /// `dγ (+)= Σ_m dY·x̂`, and `dX (+)= γ·s·(dY − mean_m dY − x̂·mean_m(dY·x̂))`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, C]`.
  ///   - input: `x[M, C]`, the forward input.
  ///   - rows: M (at least 1).
  ///   - channels: C (at least 1).
  ///   - scale: `γ[C]`.
  ///   - savedMean: `μ[C]` from the forward pass.
  ///   - savedInverseStandardDeviation: `[C]` from the forward pass.
  ///   - inputGradient: `dX[M, C]`, or `nil` when not needed; may be the same memory as `dY`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `dγ[C]`.
  ///   - shiftGradient: `dβ[C]`.
  ///   - accumulateParameters: add to `dγ` and `dβ` instead of overwriting them.
  ///   - pool: the threads to use.
  public static func backward(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int, channels: Int,
    scale: UnsafeBufferPointer<Float>, savedMean: UnsafeBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>?,
    accumulateInput: Bool, scaleGradient: UnsafeMutableBufferPointer<Float>,
    shiftGradient: UnsafeMutableBufferPointer<Float>, accumulateParameters: Bool, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(rows >= 1 && c >= 1, "rows and channels must be at least 1")
    precondition(outputGradient.count == rows * c && input.count == rows * c, "dY and x must be [M, C]")
    precondition(inputGradient.map { $0.count == rows * c } ?? true, "input gradient must be [M, C]")
    precondition(scale.count == c && savedMean.count == c && savedInverseStandardDeviation.count == c, "[C]")
    precondition(scaleGradient.count == c && shiftGradient.count == c, "parameter gradients must be [C]")
    guard let dY = outputGradient.baseAddress, let x = input.baseAddress, let gamma = scale.baseAddress,
      let mean = savedMean.baseAddress, let inverse = savedInverseStandardDeviation.baseAddress,
      let dGamma = scaleGradient.baseAddress, let dBeta = shiftGradient.baseAddress
    else { return }
    // Layout of the workspace: Σ dY [C], Σ dY·x̂ [C], then the coefficients of dX [3C].
    ScratchBuffers.shared.withBuffer(capacity: 5 * c) { work in
      let sums = work
      ChunkedReduction.sum(
        segments: 1, rowsPerSegment: rows, width: 2 * c, result: sums, accumulate: false, pool: pool
      ) { range, partial in
        for row in range {
          addGradientSums(dY + row * c, x + row * c, mean: mean, inverse: inverse, into: partial, count: c)
        }
      }
      for channel in 0..<c {
        dBeta[channel] = (accumulateParameters ? dBeta[channel] : 0) + sums[channel]
        dGamma[channel] = (accumulateParameters ? dGamma[channel] : 0) + sums[c + channel]
      }
      guard let dX = inputGradient?.baseAddress else { return }
      // dX = k1·dY + k2·(x − μ) + k3.
      let (k1, k2, k3) = (work + 2 * c, work + 3 * c, work + 4 * c)
      let count = Double(rows)
      for channel in 0..<c {
        let s = Double(inverse[channel])
        let first = Double(gamma[channel]) * s
        k1[channel] = Float(first)
        k2[channel] = Float(-first * s * Double(sums[c + channel]) / count)
        k3[channel] = Float(-first * Double(sums[channel]) / count)
      }
      let grain = max(1, grainFloats / c)
      pool.parallelRanges(rows, grain: grain) { range in
        for row in range {
          let offset = row * c
          inputGradientRow(
            dY + offset, x + offset, mean: mean, k1: k1, k2: k2, k3: k3, into: dX + offset, count: c,
            accumulate: accumulateInput)
        }
      }
    }
  }

  /// Evaluation mode: `y = (x − runningMean)·γ/√(runningVariance + ε) + β`.
  ///
  /// - Parameters:
  ///   - input: `x[M, C]`.
  ///   - rows: M.
  ///   - channels: C (at least 1).
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - runningMean: `[C]`.
  ///   - runningVariance: `[C]`.
  ///   - epsilon: ε.
  ///   - output: `y[M, C]`; may be the same memory as `input`.
  ///   - pool: the threads to use.
  public static func inferenceForward(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, runningMean: UnsafeBufferPointer<Float>,
    runningVariance: UnsafeBufferPointer<Float>, epsilon: Float, output: UnsafeMutableBufferPointer<Float>,
    pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(rows >= 0 && c >= 1, "rows must be at least 0 and channels at least 1")
    precondition(input.count == rows * c && output.count == rows * c, "input and output must be [M, C]")
    precondition(scale.count == c && shift.count == c, "scale and shift must be [C]")
    precondition(runningMean.count == c && runningVariance.count == c, "running statistics must be [C]")
    guard rows > 0, let x = input.baseAddress, let y = output.baseAddress, let beta = shift.baseAddress,
      let mean = runningMean.baseAddress
    else { return }
    ScratchBuffers.shared.withBuffer(capacity: c) { factor in
      inferenceFactors(scale: scale, runningVariance: runningVariance, epsilon: epsilon, into: factor)
      normalize(x, rows: rows, channels: c, center: mean, factor: factor, shift: beta, into: y, pool: pool)
    }
  }
}
