import EfficientNetKernels
import Foundation

/// The operations of a training step, forward and backward, over NHWC buffers with PyTorch-layout
/// weights. Forward products use the inference kernels; the backward bodies here are plain loops in
/// the memory order of NHWC (channels innermost), to be replaced by the dedicated backward kernels.
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
    if let dX {
      let packed = PackedWeights(
        inputMajor: UnsafeBufferPointer(start: weights, count: outputs * inputs), inputCount: outputs,
        outputCount: inputs)
      GEMM.multiply(
        rows: rows, input: dY, inputRowStride: outputs, inputScale: nil, weights: packed, bias: nil,
        activation: .identity, residual: nil, residualRowStride: 0, output: dX, outputRowStride: inputs,
        pool: pool)
    }
    // dW[n, k] += Σ_m dY[m, n] · X[m, k]: each task owns a range of output rows n.
    pool.parallelRanges(outputs) { range in
      for m in 0..<rows {
        let xRow = x + m * inputs
        let gradientRow = dY + m * outputs
        for n in range {
          let g = gradientRow[n]
          if g == 0 { continue }
          let target = dW + n * inputs
          for k in 0..<inputs { target[k] += g * xRow[k] }
        }
      }
    }
    if let dBias {
      for m in 0..<rows {
        let gradientRow = dY + m * outputs
        for n in 0..<outputs { dBias[n] += gradientRow[n] }
      }
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
    dX.update(repeating: 0, count: batch * g.inputHeight * g.inputWidth * channels)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          let gradient = dY + ((n * g.outputHeight + oy) * g.outputWidth + ox) * channels
          for ky in 0..<g.kernelHeight {
            let iy = oy * g.strideHeight - g.padTop + ky
            if iy < 0 || iy >= g.inputHeight { continue }
            for kx in 0..<g.kernelWidth {
              let ix = ox * g.strideWidth - g.padLeft + kx
              if ix < 0 || ix >= g.inputWidth { continue }
              let offset = ((n * g.inputHeight + iy) * g.inputWidth + ix) * channels
              let tap = ky * g.kernelWidth + kx
              for c in 0..<channels {
                dX[offset + c] += gradient[c] * weights[c * taps + tap]
                dW[c * taps + tap] += gradient[c] * x[offset + c]
              }
            }
          }
        }
      }
    }
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
    outputGradient dY: UnsafePointer<Float>, weightGradient dW: UnsafeMutablePointer<Float>
  ) {
    let taps = g.kernelHeight * g.kernelWidth
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          let gradient = dY + ((n * g.outputHeight + oy) * g.outputWidth + ox) * outputChannels
          for ky in 0..<g.kernelHeight {
            let iy = oy * g.strideHeight - g.padTop + ky
            if iy < 0 || iy >= g.inputHeight { continue }
            for kx in 0..<g.kernelWidth {
              let ix = ox * g.strideWidth - g.padLeft + kx
              if ix < 0 || ix >= g.inputWidth { continue }
              let input = x + ((n * g.inputHeight + iy) * g.inputWidth + ix) * inputChannels
              for o in 0..<outputChannels {
                let go = gradient[o]
                for i in 0..<inputChannels {
                  dW[(o * inputChannels + i) * taps + ky * g.kernelWidth + kx] += go * input[i]
                }
              }
            }
          }
        }
      }
    }
  }
}
