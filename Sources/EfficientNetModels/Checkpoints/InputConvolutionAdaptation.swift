import EfficientNetCore
import Foundation

/// Adapts a pretrained first convolution to another number of input channels, with timm's rule
/// (`adapt_input_conv`), so that RGB weights serve grayscale or multi-channel inputs.
///
/// For a weight `W[O, 3, KH, KW]`:
/// - 1 channel: the sum of the three RGB filters, `W'[o, 0] = Σ_i W[o, i]` (a gray image with value
///   `g` then gives the response the RGB model gives to the image `(g, g, g)`);
/// - k channels: the RGB filters repeated cyclically, `W'[o, j] = W[o, j mod 3] · 3/k` (the scale keeps
///   the response's magnitude when all channels carry the same values);
/// - 3 channels: unchanged.
public enum InputConvolutionAdaptation {
  /// The weight adapted to `inputChannels` input channels.
  ///
  /// - Parameters:
  ///   - weight: `W[O, I, KH, KW]`; `I` must be 3 unless `inputChannels == I`.
  ///   - inputChannels: the new input channel count (at least 1).
  /// - Returns: `W'[O, inputChannels, KH, KW]`.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a weight that is not rank 4, or for an
  ///   input channel count other than 3 to adapt from.
  public static func adapt(_ weight: Tensor, toInputChannels inputChannels: Int) throws -> Tensor {
    precondition(inputChannels >= 1, "input channels must be at least 1")
    guard weight.shape.count == 4 else {
      throw ModelError.invalidInput(
        name: "stem weight", reason: "expected [O, I, KH, KW], got \(weight.shape)")
    }
    let (outputs, inputs, kernelHeight, kernelWidth) =
      (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    if inputs == inputChannels { return weight }
    guard inputs == 3 else {
      throw ModelError.invalidInput(
        name: "stem weight",
        reason: "only RGB (3-channel) stems can be adapted, this one has \(inputs) input channels")
    }
    let taps = kernelHeight * kernelWidth
    let source = weight.scalars
    var adapted = [Float](repeating: 0, count: outputs * inputChannels * taps)
    let scale = Float(3 / Double(inputChannels))
    for output in 0..<outputs {
      for channel in 0..<inputChannels {
        for tap in 0..<taps {
          let destination = (output * inputChannels + channel) * taps + tap
          if inputChannels == 1 {
            var sum: Float = 0
            for rgb in 0..<3 { sum += source[(output * 3 + rgb) * taps + tap] }
            adapted[destination] = sum
          } else {
            adapted[destination] = source[(output * 3 + channel % 3) * taps + tap] * scale
          }
        }
      }
    }
    return Tensor(shape: [outputs, inputChannels, kernelHeight, kernelWidth], values: adapted)
  }
}

extension EfficientNet {
  /// This model (the one to train, fresh) with the pretrained model's weights put in for fine-tuning:
  /// every backbone tensor is taken over, the stem adapted to this model's input channels with
  /// ``InputConvolutionAdaptation``, and the classifier taken over only when its shape matches (a new
  /// class count keeps this model's freshly initialized classifier).
  ///
  /// - Parameter pretrained: a model of the same architecture apart from input channels and classes.
  /// - Returns: the combined model.
  /// - Throws: ``ModelError`` when a backbone tensor's shape differs (another variant).
  public func transferringWeights(from pretrained: EfficientNet) throws -> EfficientNet {
    var combined = tensors
    for spec in pretrained.specs {
      let name = spec.name
      guard let current = tensors[name], let tensor = pretrained.tensors[name] else { continue }
      if spec.layer.role == .classifier {
        if current.shape == tensor.shape { combined[name] = tensor }
      } else if spec.layer.role == .stem && spec.role == .convolutionWeight && current.shape != tensor.shape {
        combined[name] = try InputConvolutionAdaptation.adapt(tensor, toInputChannels: current.shape[1])
      } else {
        combined[name] = tensor
      }
    }
    return try EfficientNet(architecture: architecture, tensors: combined, source: "pretrained weights")
  }
}
