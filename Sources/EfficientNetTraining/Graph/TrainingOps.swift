import EfficientNetKernels
import Foundation

/// The operations of a training step, forward and backward, over NHWC buffers with PyTorch-layout
/// weights. Forward products use the inference kernels; the backward ones are the kernels of
/// `EfficientNetKernels/Backward` (each tested against finite differences and a naive twin).
enum TrainingOps {
  // MARK: 1×1 convolution / linear

  /// `y[M, N] = x[M, K] · Wᵀ + bias`, `W` `[N, K]`.
  static func pointwiseForward(
    _ x: UnsafePointer<Float>, rows: Int, inputs: Int, weights: UnsafePointer<Float>, outputs: Int,
    bias: UnsafePointer<Float>?, activation: Activation = .identity, into y: UnsafeMutablePointer<Float>,
    pool: ComputePool
  ) {
    let packed = PackedWeights(
      outputMajor: UnsafeBufferPointer(start: weights, count: outputs * inputs), outputCount: outputs,
      inputCount: inputs)
    GEMM.multiply(
      rows: rows, input: x, inputRowStride: inputs, inputScale: nil, weights: packed, bias: bias,
      activation: activation, residual: nil, residualRowStride: 0, output: y, outputRowStride: outputs,
      pool: pool)
  }

  /// Gradients of ``pointwiseForward``: `dX = dY · W` (when `dX` is given), `dW += dYᵀ · X`,
  /// `dBias += Σ_m dY`.
  static func pointwiseBackward(
    _ x: UnsafePointer<Float>, rows: Int, inputs: Int, weights: UnsafePointer<Float>, outputs: Int,
    outputGradient dY: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>?,
    weightGradient dW: UnsafeMutablePointer<Float>, biasGradient dBias: UnsafeMutablePointer<Float>?,
    pool: ComputePool
  ) {
    let w = UnsafeBufferPointer(start: weights, count: outputs * inputs)
    let g = UnsafeBufferPointer(start: dY, count: rows * outputs)
    if let dX {
      LinearBackward.inputGradient(
        outputGradient: g, rows: rows, outputCount: outputs, inputCount: inputs, weights: w,
        inputGradient: UnsafeMutableBufferPointer(start: dX, count: rows * inputs), accumulate: false,
        pool: pool)
    }
    LinearBackward.weightGradient(
      outputGradient: g, input: UnsafeBufferPointer(start: x, count: rows * inputs), rows: rows,
      outputCount: outputs, inputCount: inputs,
      weightGradient: UnsafeMutableBufferPointer(start: dW, count: outputs * inputs), accumulate: true,
      pool: pool)
    if let dBias {
      LinearBackward.biasGradient(
        outputGradient: g, rows: rows, outputCount: outputs,
        biasGradient: UnsafeMutableBufferPointer(start: dBias, count: outputs), accumulate: true, pool: pool)
    }
  }

  // MARK: Depthwise and general convolution

  /// Depthwise convolution forward, `weights` `[C, 1, KH, KW]`.
  static func depthwiseForward(
    _ x: UnsafePointer<Float>, batch: Int, channels: Int, geometry: ConvolutionGeometry,
    weights: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let g = geometry
    let packed = DepthwiseConvolution.packWeights(
      fromPyTorch: UnsafeBufferPointer(start: weights, count: channels * g.kernelHeight * g.kernelWidth),
      channels: channels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    packed.withUnsafeBufferPointer { packed in
      DepthwiseConvolution.convolve(
        input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * channels),
        batch: batch,
        channels: channels, geometry: g, weights: packed, bias: nil, activation: .identity,
        output: UnsafeMutableBufferPointer(
          start: y, count: batch * g.outputHeight * g.outputWidth * channels),
        channelSums: nil, pool: pool)
    }
  }

  /// Depthwise convolution backward: `dX` (overwritten) and `dW += …` (`[C, 1, KH, KW]`).
  static func depthwiseBackward(
    _ x: UnsafePointer<Float>, batch: Int, channels: Int, geometry g: ConvolutionGeometry,
    weights: UnsafePointer<Float>, outputGradient dY: UnsafePointer<Float>,
    inputGradient dX: UnsafeMutablePointer<Float>, weightGradient dW: UnsafeMutablePointer<Float>,
    pool: ComputePool
  ) {
    let taps = g.kernelHeight * g.kernelWidth
    let gradient = UnsafeBufferPointer(start: dY, count: batch * g.outputHeight * g.outputWidth * channels)
    let inputCount = batch * g.inputHeight * g.inputWidth * channels
    DepthwiseConvolutionBackward.inputGradient(
      outputGradient: gradient, batch: batch, channels: channels, geometry: g,
      weights: UnsafeBufferPointer(start: weights, count: channels * taps),
      inputGradient: UnsafeMutableBufferPointer(start: dX, count: inputCount), accumulate: false, pool: pool)
    DepthwiseConvolutionBackward.weightGradient(
      outputGradient: gradient, input: UnsafeBufferPointer(start: x, count: inputCount), batch: batch,
      channels: channels, geometry: g,
      weightGradient: UnsafeMutableBufferPointer(start: dW, count: channels * taps),
      biasGradient: nil, accumulate: true, pool: pool)
  }

  /// General convolution forward (groups 1), `weights` `[O, I, KH, KW]`.
  static func convolutionForward(
    _ x: UnsafePointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
    geometry g: ConvolutionGeometry,
    weights: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let count = outputChannels * inputChannels * g.kernelHeight * g.kernelWidth
    let packed = Convolution.packWeights(
      fromPyTorch: UnsafeBufferPointer(start: weights, count: count), outputChannels: outputChannels,
      inputChannels: inputChannels, groups: 1, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    packed.withUnsafeBufferPointer { packed in
      Convolution.convolve(
        input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * inputChannels),
        batch: batch, inputChannels: inputChannels, outputChannels: outputChannels, groups: 1, geometry: g,
        weights: packed, bias: nil, activation: .identity,
        output: UnsafeMutableBufferPointer(
          start: y, count: batch * g.outputHeight * g.outputWidth * outputChannels),
        pool: pool)
    }
  }

  /// General convolution weight gradient: `dW += …` (`[O, I, KH, KW]`); the input gradient is not
  /// needed (the stem's input is data).
  static func convolutionWeightGradient(
    _ x: UnsafePointer<Float>, batch: Int, inputChannels: Int, outputChannels: Int,
    geometry g: ConvolutionGeometry,
    outputGradient dY: UnsafePointer<Float>, weightGradient dW: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let taps = g.kernelHeight * g.kernelWidth
    ConvolutionBackward.weightGradient(
      outputGradient: UnsafeBufferPointer(
        start: dY, count: batch * g.outputHeight * g.outputWidth * outputChannels),
      input: UnsafeBufferPointer(start: x, count: batch * g.inputHeight * g.inputWidth * inputChannels),
      batch: batch,
      inputChannels: inputChannels, outputChannels: outputChannels, groups: 1, geometry: g,
      weightGradient: UnsafeMutableBufferPointer(start: dW, count: outputChannels * inputChannels * taps),
      biasGradient: nil, accumulate: true, pool: pool)
  }
}
