import EfficientNetCore
import EfficientNetKernels

/// A convolution with its batch norm folded in: `W' = W · γ/√(σ² + ε)` per output channel and
/// `b' = β − μ · γ/√(σ² + ε)`. Weights keep PyTorch's `[O, I, KH, KW]` layout.
struct FoldedConvolution {
  var weights: [Float]
  var bias: [Float]
  var outputChannels: Int

  init(model: EfficientNet, convolution: String, batchNorm: String) {
    let weight = model.tensors[convolution + ".weight"]!
    let gamma = model.tensors[batchNorm + ".weight"]!.scalars
    let beta = model.tensors[batchNorm + ".bias"]!.scalars
    let mean = model.tensors[batchNorm + ".running_mean"]!.scalars
    let variance = model.tensors[batchNorm + ".running_var"]!.scalars
    let epsilon = model.configuration.batchNormEpsilon
    outputChannels = weight.shape[0]
    let perOutput = weight.count / outputChannels
    var weights = weight.scalars
    var bias = [Float](repeating: 0, count: outputChannels)
    for channel in 0..<outputChannels {
      let scale = Double(gamma[channel]) / (Double(variance[channel]) + epsilon).squareRoot()
      for index in channel * perOutput..<(channel + 1) * perOutput {
        weights[index] = Float(Double(weights[index]) * scale)
      }
      bias[channel] = Float(Double(beta[channel]) - Double(mean[channel]) * scale)
    }
    self.weights = weights
    self.bias = bias
  }
}

/// A float buffer whose address stays fixed for the engine's lifetime.
final class FixedBuffer {
  let storage: TensorStorage
  var pointer: UnsafeMutablePointer<Float> { storage.buffer.baseAddress! }
  var count: Int { storage.buffer.count }
  /// All the elements, for reading.
  var all: UnsafeBufferPointer<Float> { UnsafeBufferPointer(storage.buffer) }

  /// `count` elements starting at `offset`, for reading.
  func read(_ count: Int, at offset: Int = 0) -> UnsafeBufferPointer<Float> {
    precondition(offset + count <= self.count, "buffer overrun")
    return UnsafeBufferPointer(start: pointer + offset, count: count)
  }

  /// `count` elements starting at `offset`, for writing.
  func write(_ count: Int, at offset: Int = 0) -> UnsafeMutableBufferPointer<Float> {
    precondition(offset + count <= self.count, "buffer overrun")
    return UnsafeMutableBufferPointer(start: pointer + offset, count: count)
  }

  init(count: Int) { storage = TensorStorage(count: count) }

  convenience init(_ values: [Float]) {
    self.init(count: values.count)
    _ = storage.buffer.update(from: values)
  }
}

extension ActivationKind {
  /// The kernel epilogue activation.
  var kernelActivation: Activation {
    switch self {
    case .silu: return .silu
    case .relu6: return .relu6
    case .relu: return .relu
    }
  }
}
