import EfficientNetKernels
import Foundation

/// The operations of a training step, forward and backward, over NHWC buffers with PyTorch-layout
/// weights. Forward products use the inference kernels with weights packed once per step; the backward
/// ones are the kernels of `EfficientNetKernels/Backward` (each tested against finite differences and a
/// naive twin). Nothing here allocates.
enum TrainingOps {
  // MARK: 1×1 convolution / linear

  /// `y[M, N] = x[M, K] · Wᵀ + bias`, `W` `[N, K]`.
  static func pointwiseForward(
    _ x: UnsafePointer<Float>, rows: Int, layer: PointwiseHandles, activation: Activation = .identity,
    into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    GEMM.multiply(
      rows: rows, input: x, inputRowStride: layer.inputs, inputScale: nil, weights: layer.packed,
      bias: layer.bias.map { UnsafePointer($0.pointer) }, activation: activation, residual: nil,
      residualRowStride: 0,
      output: y, outputRowStride: layer.outputs, pool: pool)
  }

  /// Gradients of ``pointwiseForward``: `dX = dY · W` (overwritten, when given), `dW += dYᵀ · X`,
  /// `dBias += Σ_m dY`.
  static func pointwiseBackward(
    _ x: UnsafePointer<Float>, rows: Int, layer: PointwiseHandles, outputGradient dY: UnsafePointer<Float>,
    inputGradient dX: UnsafeMutablePointer<Float>?, pool: ComputePool
  ) {
    let (inputs, outputs) = (layer.inputs, layer.outputs)
    let gradient = UnsafeBufferPointer(start: dY, count: rows * outputs)
    if let dX {
      LinearBackward.inputGradient(
        outputGradient: gradient, rows: rows, outputCount: outputs, inputCount: inputs,
        weights: layer.weight.readable,
        inputGradient: UnsafeMutableBufferPointer(start: dX, count: rows * inputs), accumulate: false,
        pool: pool)
    }
    LinearBackward.weightGradient(
      outputGradient: gradient, input: UnsafeBufferPointer(start: x, count: rows * inputs), rows: rows,
      outputCount: outputs, inputCount: inputs, weightGradient: layer.gradient.buffer, accumulate: true,
      pool: pool)
    if let biasGradient = layer.biasGradient {
      LinearBackward.biasGradient(
        outputGradient: gradient, rows: rows, outputCount: outputs, biasGradient: biasGradient.buffer,
        accumulate: true, pool: pool)
    }
  }

  // MARK: Depthwise and general convolution

  /// Depthwise convolution forward.
  static func depthwiseForward(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry, layer: DepthwiseHandles,
    into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let channels = layer.channels
    DepthwiseConvolution.convolve(
      input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * channels),
      batch: batch,
      channels: channels, geometry: g, weights: layer.packed.readable, bias: nil, activation: .identity,
      output: UnsafeMutableBufferPointer(start: y, count: batch * g.outputHeight * g.outputWidth * channels),
      channelSums: nil, pool: pool)
  }

  /// Depthwise convolution backward: `dX` (overwritten) and `dW += …` (`[C, 1, KH, KW]`).
  static func depthwiseBackward(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry, layer: DepthwiseHandles,
    outputGradient dY: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let channels = layer.channels
    let gradient = UnsafeBufferPointer(start: dY, count: batch * g.outputHeight * g.outputWidth * channels)
    let inputCount = batch * g.inputHeight * g.inputWidth * channels
    DepthwiseConvolutionBackward.inputGradient(
      outputGradient: gradient, batch: batch, channels: channels, geometry: g, weights: layer.weight.readable,
      inputGradient: UnsafeMutableBufferPointer(start: dX, count: inputCount), accumulate: false, pool: pool)
    DepthwiseConvolutionBackward.weightGradient(
      outputGradient: gradient, input: UnsafeBufferPointer(start: x, count: inputCount), batch: batch,
      channels: channels, geometry: g, weightGradient: layer.gradient.buffer, biasGradient: nil,
      accumulate: true,
      pool: pool)
  }

  /// The stem's convolution forward.
  static func stemForward(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry, stem: StemHandles,
    into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    Convolution.convolve(
      input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * stem.inputChannels),
      batch: batch, inputChannels: stem.inputChannels, outputChannels: stem.outputChannels, groups: 1,
      geometry: g,
      weights: stem.packed.readable, bias: nil, activation: .identity,
      output: UnsafeMutableBufferPointer(
        start: y, count: batch * g.outputHeight * g.outputWidth * stem.outputChannels),
      pool: pool)
  }

  /// The stem's weight gradient `dW += …` (its input, the data, needs no gradient).
  static func stemWeightGradient(
    _ x: UnsafePointer<Float>, batch: Int, geometry g: ConvolutionGeometry, stem: StemHandles,
    outputGradient dY: UnsafePointer<Float>, pool: ComputePool
  ) {
    ConvolutionBackward.weightGradient(
      outputGradient: UnsafeBufferPointer(
        start: dY, count: batch * g.outputHeight * g.outputWidth * stem.outputChannels),
      input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * stem.inputChannels),
      batch: batch, inputChannels: stem.inputChannels, outputChannels: stem.outputChannels, groups: 1,
      geometry: g,
      weightGradient: stem.gradient.buffer, biasGradient: nil, accumulate: true, pool: pool)
  }
}
