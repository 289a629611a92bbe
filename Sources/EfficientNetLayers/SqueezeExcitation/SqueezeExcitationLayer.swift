import EfficientNetCore
import EfficientNetKernels

/// What squeeze-and-excitation saved for its backward pass.
public struct SqueezeExcitationRecord {
  /// Images, positions per image and channels of the gated tensor.
  public let batch: Int, pixels: Int, channels: Int
  /// The gated input `[N, P, C]`.
  public let input: FloatBuffer
  /// Channel means `[N, C]`, the reduced pre-activation and activation `[N, R]`, the gate `[N, C]`.
  public let pooled: FloatBuffer, reducedPreActivation: FloatBuffer, reduced: FloatBuffer, gate: FloatBuffer
  /// The gated output `[N, P, C]`.
  public let output: FloatBuffer
}

/// Squeeze-and-excitation: `gate = σ(expand(act(reduce(mean_p x))))`, `y = x · gate` per channel.
///
/// Inference computes the gate from the depthwise kernel's channel sums and fuses the scaling into
/// the projection's input (``gate(channelSums:pixels:activation:gate:pool:)``); training saves every
/// intermediate and differentiates through them.
public struct SqueezeExcitationLayer {
  /// The reducing `C → R` and expanding `R → C` 1×1 layers (both with bias).
  public let reduce: PointwiseLayer, expand: PointwiseLayer

  /// A layer from its two convolutions.
  public init(reduce: PointwiseLayer, expand: PointwiseLayer) {
    precondition(reduce.outputCount == expand.inputCount && expand.outputCount == reduce.inputCount, "C→R→C")
    self.reduce = reduce
    self.expand = expand
  }

  /// C and R.
  public var channels: Int { reduce.inputCount }
  /// R.
  public var reducedChannels: Int { reduce.outputCount }

  /// One image's gate `[C]` from its channel sums `[C]` over `pixels` positions.
  public func gate(
    channelSums: UnsafeBufferPointer<Float>, pixels: Int, activation: Activation,
    gate: UnsafeMutableBufferPointer<Float>, pool: ComputePool
  ) {
    guard let reduceWeights = reduce.weight, let expandWeights = expand.weight else {
      preconditionFailure("squeeze-and-excitation needs its weights unpacked")
    }
    SqueezeExcitation.gate(
      pooled: channelSums, batch: 1, channels: channels, reducedChannels: reducedChannels,
      reduceWeights: reduceWeights.readable, reduceBias: reduce.bias?.readable, activation: activation,
      expandWeights: expandWeights.readable, expandBias: expand.bias?.readable, inputScale: 1 / Float(pixels),
      gate: gate, pool: pool)
  }

  /// Training forward over `input` `[N, P, C]`.
  public func forward(
    _ input: FloatBuffer, batch: Int, pixels: Int, activation: Activation, workspace: Workspace,
    pool: ComputePool
  ) -> SqueezeExcitationRecord {
    let reducedCount = batch * reducedChannels
    let pooled = workspace.next(batch * channels)
    Pooling.globalAveragePool(
      input: input.readable, batch: batch, pixels: pixels, channels: channels, output: pooled.buffer,
      pool: pool)
    let reducedPre = workspace.next(reducedCount)
    reduce.forward(input: pooled.pointer, rows: batch, output: reducedPre.pointer, pool: pool)
    let reduced = workspace.next(reducedCount)
    reduced.pointer.update(from: reducedPre.pointer, count: reducedCount)
    Elementwise.applyActivation(activation, to: reduced.buffer, pool: pool)
    let gate = workspace.next(batch * channels)
    expand.forward(
      input: reduced.pointer, rows: batch, activation: .sigmoid, output: gate.pointer, pool: pool)
    let output = workspace.next(batch * pixels * channels)
    Elementwise.scaleChannels(
      of: input.readable, into: output.buffer, batch: batch, pixels: pixels, channels: channels,
      scales: gate.readable, pool: pool)
    return SqueezeExcitationRecord(
      batch: batch, pixels: pixels, channels: channels, input: input, pooled: pooled,
      reducedPreActivation: reducedPre, reduced: reduced, gate: gate, output: output)
  }

  /// From the gradient of the gated output to the gradient of the input, adding parameter gradients.
  public func backward(
    _ record: SqueezeExcitationRecord, outputGradient: FloatBuffer, activation: Activation,
    workspace: Workspace,
    pool: ComputePool
  ) -> FloatBuffer {
    let (batch, pixels, channels) = (record.batch, record.pixels, record.channels)
    let reducedCount = batch * reducedChannels
    // Through the channel scaling: dX = dY·gate, dgate = Σ_p dY·X; then through the sigmoid.
    let gateGradient = workspace.next(batch * channels)
    let inputGradient = workspace.next(batch * pixels * channels)
    SqueezeExcitationBackward.scaleChannelsBackward(
      input: record.input.readable, scales: record.gate.readable, outputGradient: outputGradient.readable,
      batch: batch, pixels: pixels, channels: channels, inputGradient: inputGradient.buffer,
      accumulateInput: false, scaleGradient: gateGradient.buffer, accumulateScale: false, pool: pool)
    ActivationBackward.sigmoidInputGradient(
      output: record.gate.readable, outputGradient: gateGradient.readable, inputGradient: gateGradient.buffer,
      accumulate: false, pool: pool)
    let reducedGradient = workspace.next(reducedCount)
    expand.backward(
      input: record.reduced.pointer, rows: batch, outputGradient: gateGradient.pointer,
      inputGradient: reducedGradient.pointer, pool: pool)
    ActivationBackward.inputGradient(
      activation, preActivation: record.reducedPreActivation.readable,
      outputGradient: reducedGradient.readable,
      inputGradient: reducedGradient.buffer, accumulate: false, pool: pool)
    let pooledGradient = workspace.next(batch * channels)
    reduce.backward(
      input: record.pooled.pointer, rows: batch, outputGradient: reducedGradient.pointer,
      inputGradient: pooledGradient.pointer, pool: pool)
    // Through the average pool: every position also gets dpooled / P.
    Pooling.globalAveragePoolBackward(
      outputGradient: pooledGradient.readable, batch: batch, pixels: pixels, channels: channels,
      inputGradient: inputGradient.buffer, accumulate: true, pool: pool)
    return inputGradient
  }
}
