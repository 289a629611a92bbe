extension BatchNormalization {
  /// The channels whose parameter-gradient sums one task of
  /// ``frozenBackward(outputGradient:input:rows:channels:scale:savedMean:savedInverseStandardDeviation:inputGradient:accumulateInput:scaleGradient:shiftGradient:accumulateParameters:pool:)``
  /// owns.
  static let frozenBlockChannels = 16

  /// Batch norm with frozen statistics (PyTorch's batch norm in `eval()` mode while fine-tuning):
  /// normalizes with the running statistics, leaves them as they are, and saves them in the form
  /// ``frozenBackward(outputGradient:input:rows:channels:scale:savedMean:savedInverseStandardDeviation:inputGradient:accumulateInput:scaleGradient:shiftGradient:accumulateParameters:pool:)``
  /// reads.
  ///
  /// `savedMean = runningMean`, `savedInverseStandardDeviation = Float(1 / √(Double(runningVariance) + ε))`
  /// and `y` is ``inferenceForward(input:rows:channels:scale:shift:runningMean:runningVariance:epsilon:output:pool:)``
  /// with `Float(ε)`. ε is a `Double` (the models' configuration holds it so) because the saved
  /// inverse deviation uses it unrounded; these are the training pass's frozen batch norm's values,
  /// to the bit.
  ///
  /// - Parameters:
  ///   - input: `x[M, C]` (NHWC activations with `M = N·H·W`).
  ///   - rows: M (at least 0).
  ///   - channels: C (at least 1).
  ///   - scale: `γ[C]`.
  ///   - shift: `β[C]`.
  ///   - runningMean: `μ[C]`, the running mean.
  ///   - runningVariance: `σ²[C]`, the running variance.
  ///   - epsilon: ε, added to the variance.
  ///   - output: `y[M, C]`; may be the same memory as `input`.
  ///   - savedMean: `[C]`, receives `μ`.
  ///   - savedInverseStandardDeviation: `[C]`, receives `1 / √(σ² + ε)`.
  ///   - activation: applied to `y` into `activatedOutput` (the activation that follows the norm).
  ///   - activatedOutput: `activation(y)[M, C]`, or `nil` for none; must not overlap `input` or
  ///     `output`. Computed in the same pass as `y`, every value through the vector activation (like
  ///     ``trainingForward(input:rows:channels:scale:shift:epsilon:output:savedMean:savedInverseStandardDeviation:runningMean:runningVariance:momentum:activation:activatedOutput:pool:)``);
  ///     ``Elementwise/applyActivation(_:from:to:pool:)`` afterwards takes the last values of each of
  ///     its ranges through the scalar activation, which may differ in the last bit.
  ///   - pool: the threads to use.
  public static func frozenForward(
    input: UnsafeBufferPointer<Float>, rows: Int, channels: Int, scale: UnsafeBufferPointer<Float>,
    shift: UnsafeBufferPointer<Float>, runningMean: UnsafeBufferPointer<Float>,
    runningVariance: UnsafeBufferPointer<Float>, epsilon: Double, output: UnsafeMutableBufferPointer<Float>,
    savedMean: UnsafeMutableBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeMutableBufferPointer<Float>, activation: Activation = .identity,
    activatedOutput: UnsafeMutableBufferPointer<Float>? = nil, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(rows >= 0 && c >= 1, "rows must be at least 0 and channels at least 1")
    precondition(input.count == rows * c && output.count == rows * c, "input and output must be [M, C]")
    precondition(scale.count == c && shift.count == c, "scale and shift must be [C]")
    precondition(runningMean.count == c && runningVariance.count == c, "running statistics must be [C]")
    precondition(savedMean.count == c && savedInverseStandardDeviation.count == c, "saved statistics: [C]")
    precondition(activatedOutput.map { $0.count == rows * c } ?? true, "activated output must be [M, C]")
    for channel in 0..<c {
      savedMean[channel] = runningMean[channel]
      savedInverseStandardDeviation[channel] = Float(
        1 / (Double(runningVariance[channel]) + epsilon).squareRoot())
    }
    guard rows > 0, let x = input.baseAddress, let y = output.baseAddress, let beta = shift.baseAddress,
      let mean = runningMean.baseAddress
    else { return }
    ScratchBuffers.shared.withBuffer(capacity: c) { factor in
      inferenceFactors(scale: scale, runningVariance: runningVariance, epsilon: Float(epsilon), into: factor)
      normalize(
        x, rows: rows, channels: c, center: mean, factor: factor, shift: beta, into: y,
        activation: activation,
        activated: activatedOutput?.baseAddress, pool: pool)
    }
  }

  /// Gradients of ``frozenForward(input:rows:channels:scale:shift:runningMean:runningVariance:epsilon:output:savedMean:savedInverseStandardDeviation:activation:activatedOutput:pool:)``:
  /// the statistics are constants, so with `s` the saved inverse standard deviation and
  /// `x̂ = (x − μ)·s`, `dX (+)= dY·γ·s`, `dγ (+)= Σ_m dY·x̂` and `dβ (+)= Σ_m dY`.
  ///
  /// The training pass's arithmetic, to the bit: `dX = (dY·γ)·s` in `Float`; for every channel,
  /// `Σ_m Double(dY)·Double(Float((x − μ)·s))` and `Σ_m Double(dY)`, each summed over the rows in
  /// order in `Double`, rounded to `Float` and then added to the gradient in `Float` when
  /// accumulating. Each task owns 16 channels (``frozenBlockChannels``) and walks the rows once for
  /// them, so the sums do not depend on the thread count (and do not parallelize below 17 channels).
  /// The sums are taken before `dX` is written, so `dX` may be the same memory as `dY`.
  ///
  /// - Parameters:
  ///   - outputGradient: `dY[M, C]`.
  ///   - input: `x[M, C]`, the forward input.
  ///   - rows: M (at least 0).
  ///   - channels: C (at least 1).
  ///   - scale: `γ[C]`.
  ///   - savedMean: `μ[C]` from the forward pass.
  ///   - savedInverseStandardDeviation: `s[C]` from the forward pass.
  ///   - inputGradient: `dX[M, C]`, or `nil` when not needed; may be the same memory as `dY`.
  ///   - accumulateInput: add to `dX` instead of overwriting it.
  ///   - scaleGradient: `dγ[C]`.
  ///   - shiftGradient: `dβ[C]`.
  ///   - accumulateParameters: add to `dγ` and `dβ` instead of overwriting them.
  ///   - pool: the threads to use.
  public static func frozenBackward(
    outputGradient: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int, channels: Int,
    scale: UnsafeBufferPointer<Float>, savedMean: UnsafeBufferPointer<Float>,
    savedInverseStandardDeviation: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>?, accumulateInput: Bool,
    scaleGradient: UnsafeMutableBufferPointer<Float>, shiftGradient: UnsafeMutableBufferPointer<Float>,
    accumulateParameters: Bool, pool: ComputePool = .shared
  ) {
    let c = channels
    precondition(rows >= 0 && c >= 1, "rows must be at least 0 and channels at least 1")
    precondition(outputGradient.count == rows * c && input.count == rows * c, "dY and x must be [M, C]")
    precondition(inputGradient.map { $0.count == rows * c } ?? true, "input gradient must be [M, C]")
    precondition(scale.count == c && savedMean.count == c && savedInverseStandardDeviation.count == c, "[C]")
    precondition(scaleGradient.count == c && shiftGradient.count == c, "parameter gradients must be [C]")
    guard let gamma = scale.baseAddress, let mean = savedMean.baseAddress,
      let inverse = savedInverseStandardDeviation.baseAddress, let dGamma = scaleGradient.baseAddress,
      let dBeta = shiftGradient.baseAddress
    else { return }
    let (dY, x) = (outputGradient.baseAddress, input.baseAddress)
    let width = frozenBlockChannels
    pool.parallelFor((c + width - 1) / width) { block in
      let channelRange = (block * width)..<min(c, (block + 1) * width)
      withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * width) { sums in
        guard let sums = sums.baseAddress else { return }
        sums.initialize(repeating: 0, count: 2 * width)
        if let dY, let x {
          for row in 0..<rows {
            addFrozenGradientSums(
              dY + row * c, x + row * c, mean: mean, inverse: inverse, channels: channelRange,
              scaleSums: sums, shiftSums: sums + width)
          }
        }
        for (index, channel) in channelRange.enumerated() {
          let (scaleSum, shiftSum) = (Float(sums[index]), Float(sums[width + index]))
          dGamma[channel] = accumulateParameters ? dGamma[channel] + scaleSum : scaleSum
          dBeta[channel] = accumulateParameters ? dBeta[channel] + shiftSum : shiftSum
        }
      }
    }
    guard let dX = inputGradient?.baseAddress, let dY else { return }
    pool.parallelRanges(rows, grain: max(1, grainFloats / c)) { range in
      for row in range {
        let offset = row * c
        frozenInputGradientRow(
          dY + offset, gamma: gamma, inverse: inverse, into: dX + offset, count: c,
          accumulate: accumulateInput)
      }
    }
  }

  /// `factor[c] = Float(Double(γ[c]) / √(Double(σ²[c]) + Double(ε)))`, the multiplier of
  /// ``inferenceForward(input:rows:channels:scale:shift:runningMean:runningVariance:epsilon:output:pool:)``.
  static func inferenceFactors(
    scale: UnsafeBufferPointer<Float>, runningVariance: UnsafeBufferPointer<Float>, epsilon: Float,
    into factor: UnsafeMutablePointer<Float>
  ) {
    for channel in scale.indices {
      factor[channel] = Float(
        Double(scale[channel]) / (Double(runningVariance[channel]) + Double(epsilon)).squareRoot())
    }
  }
}
