import EfficientNetCore
import EfficientNetKernels

/// What a training-mode batch norm (and the activation after it) saved for its backward pass.
public struct BatchNormRecord {
  /// Rows (N·H·W) and channels.
  public let positions: Int, channels: Int
  /// The activation after the normalization.
  public let activation: Activation
  /// The normalization's input (the convolution's output), `[positions, channels]`.
  public let input: FloatBuffer
  /// The normalized values before the activation.
  public let normalized: FloatBuffer
  /// The activated output (the same buffer as `normalized` without an activation).
  public let output: FloatBuffer
  /// The mean and `1/√(σ² + ε)` used, `[channels]`.
  public let mean: FloatBuffer, inverseDeviation: FloatBuffer
  /// Whether the running statistics normalized it (frozen batch norm) rather than the batch's.
  public let usesRunningStatistics: Bool
}

/// Batch norm after a convolution, with the activation that follows it, in training mode: batch
/// statistics (updating the running ones with PyTorch's rule) or frozen running statistics
/// (PyTorch's `eval()` batch norm), and the backward of both. For inference it is folded into the
/// convolution (``BatchNormFolding``).
public struct BatchNormLayer {
  /// γ, β and the running mean and variance, `[C]`.
  public let scale: FloatBuffer, shift: FloatBuffer, runningMean: FloatBuffer, runningVariance: FloatBuffer
  /// `dγ` and `dβ`, accumulated by the backward pass.
  public let scaleGradient: FloatBuffer, shiftGradient: FloatBuffer
  /// ε.
  public let epsilon: Double

  /// A layer over parameter buffers.
  public init(
    scale: FloatBuffer, shift: FloatBuffer, runningMean: FloatBuffer, runningVariance: FloatBuffer,
    scaleGradient: FloatBuffer, shiftGradient: FloatBuffer, epsilon: Double
  ) {
    self.scale = scale
    self.shift = shift
    self.runningMean = runningMean
    self.runningVariance = runningVariance
    self.scaleGradient = scaleGradient
    self.shiftGradient = shiftGradient
    self.epsilon = epsilon
  }

  /// The channel count C.
  public var channels: Int { scale.count }

  /// Normalizes `input` `[positions, C]` and applies `activation`, taking its buffers from `workspace`.
  ///
  /// - Parameters:
  ///   - input: the convolution's output.
  ///   - positions: rows (at least 2 with batch statistics).
  ///   - activation: applied after the normalization (in its last pass, with batch statistics).
  ///   - momentum: PyTorch's momentum for the running statistics (weight of the batch's).
  ///   - usesRunningStatistics: normalize with the running statistics and leave them unchanged.
  ///   - workspace: where the saved buffers come from.
  ///   - pool: the threads to use.
  /// - Returns: the output and what the backward needs.
  public func forward(
    _ input: FloatBuffer, positions: Int, activation: Activation, momentum: Double,
    usesRunningStatistics: Bool, workspace: Workspace, pool: ComputePool
  ) -> BatchNormRecord {
    let count = positions * channels
    let normalized = workspace.next(count)
    let output = activation == .identity ? normalized : workspace.next(count)
    let mean = workspace.next(channels)
    let inverse = workspace.next(channels)
    if usesRunningStatistics {
      BatchNormalization.frozenForward(
        input: input.readable, rows: positions, channels: channels, scale: scale.readable,
        shift: shift.readable, runningMean: runningMean.readable, runningVariance: runningVariance.readable,
        epsilon: epsilon, output: normalized.buffer, savedMean: mean.buffer,
        savedInverseStandardDeviation: inverse.buffer, pool: pool)
      if activation != .identity {
        Elementwise.applyActivation(activation, from: normalized.readable, to: output.buffer, pool: pool)
      }
    } else {
      BatchNormalization.trainingForward(
        input: input.readable, rows: positions, channels: channels, scale: scale.readable,
        shift: shift.readable, epsilon: Float(epsilon), output: normalized.buffer, savedMean: mean.buffer,
        savedInverseStandardDeviation: inverse.buffer, runningMean: runningMean.buffer,
        runningVariance: runningVariance.buffer, momentum: Float(momentum), activation: activation,
        activatedOutput: activation == .identity ? nil : output.buffer, pool: pool)
    }
    return BatchNormRecord(
      positions: positions, channels: channels, activation: activation, input: input, normalized: normalized,
      output: output, mean: mean, inverseDeviation: inverse, usesRunningStatistics: usesRunningStatistics)
  }

  /// From the gradient of the activated output to the gradient of the normalization's input, adding
  /// `dγ` and `dβ`.
  ///
  /// Consumes `outputGradient`: the activation's gradient and then the batch norm's input gradient
  /// overwrite it in place, since every caller's output gradient is dead
  /// after this; that saves two buffers the size of the layer per step.
  public func backward(
    _ record: BatchNormRecord, outputGradient: FloatBuffer, pool: ComputePool
  ) -> FloatBuffer {
    let count = record.positions * record.channels
    if record.activation != .identity {
      ActivationBackward.inputGradient(
        record.activation, preActivation: record.normalized.read(count),
        outputGradient: outputGradient.read(count),
        inputGradient: outputGradient.write(count), accumulate: false, pool: pool)
    }
    // Both backwards take their sums before writing the input gradient, so it may overwrite dY.
    let result = outputGradient
    if record.usesRunningStatistics {
      BatchNormalization.frozenBackward(
        outputGradient: outputGradient.readable, input: record.input.readable, rows: record.positions,
        channels: record.channels, scale: scale.readable, savedMean: record.mean.readable,
        savedInverseStandardDeviation: record.inverseDeviation.readable, inputGradient: result.buffer,
        accumulateInput: false, scaleGradient: scaleGradient.buffer, shiftGradient: shiftGradient.buffer,
        accumulateParameters: true, pool: pool)
    } else {
      BatchNormalization.backward(
        outputGradient: outputGradient.readable, input: record.input.readable, rows: record.positions,
        channels: record.channels, scale: scale.readable, savedMean: record.mean.readable,
        savedInverseStandardDeviation: record.inverseDeviation.readable, inputGradient: result.buffer,
        accumulateInput: false, scaleGradient: scaleGradient.buffer, shiftGradient: shiftGradient.buffer,
        accumulateParameters: true, pool: pool)
    }
    return result
  }
}
