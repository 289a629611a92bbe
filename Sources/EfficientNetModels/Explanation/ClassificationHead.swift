import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import Foundation

/// The end of an EfficientNet after its last block, for explaining one image's class scores:
/// `conv_head` (1×1, batch norm `bn2` folded in) and its activation as the inference engine runs them
/// (a folded ``PointwiseLayer`` with the activation in its epilogue), differentiated with the same
/// layer's input gradient and the activation's backward kernel; then global average pooling and the
/// linear classifier, which are linear and summed in `Double` (the score finite differences check).
///
/// Shapes use P for the positions of one image's last feature map (`h · w`), C for the last block's
/// channels, F for the head's channels (1280 for B0 and Lite0) and K for the classes. Feature maps are
/// position-major (`[P, C]`, NHWC without the batch axis).
public struct ClassificationHead {
  /// The last block's output channels (C), the head's input.
  public let featureChannels: Int
  /// The head convolution's output channels (F), the pooled features.
  public let headChannels: Int
  /// The classes (K).
  public let classCount: Int
  let activation: Activation
  /// `conv_head` with `bn2` folded: weights `[F, C]` (kept for the backward) and bias `[F]`.
  let head: PointwiseLayer
  /// The classifier, `[K, F]`, and its bias `[K]`.
  let classifierWeights: [Float]
  let classifierBias: [Float]

  /// Folds `bn2` into `conv_head` and keeps the classifier of `model`.
  ///
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a headless model (no classifier).
  public init(model: EfficientNet) throws {
    guard let classifier = model.layout.classifier else {
      throw ModelError.invalidInput(name: "model", reason: "a headless model has no class scores to explain")
    }
    let headLayer = model.layout.head
    let (weights, bias) = model.folded(headLayer)
    head = PointwiseLayer(
      weight: FloatBuffer(weights), bias: FloatBuffer(bias), outputCount: headLayer.outputChannels,
      weightGradient: nil, biasGradient: nil)
    headChannels = headLayer.outputChannels
    featureChannels = headLayer.inputChannels
    classCount = classifier.outputChannels
    activation = model.configuration.activation.kernelActivation
    classifierWeights = model.tensor(.linearWeight, of: classifier).scalars
    classifierBias = model.tensor(.bias, of: classifier).scalars
  }

  /// The head convolution before its activation, `Z = X · Wᵀ + b`.
  ///
  /// - Parameters:
  ///   - features: The last block's output for one image, `[P, C]`.
  ///   - pixels: P.
  /// - Returns: `[P, F]`.
  public func preActivations(features: [Float], pixels: Int) -> [Float] {
    headOutput(features: features, pixels: pixels, activation: .identity)
  }

  /// The head's activated output `A = act(Z)`: what timm's `bn2` (a `BatchNormAct2d`) returns, and
  /// what the inference engine computes before pooling.
  ///
  /// - Parameters:
  ///   - features: The last block's output for one image, `[P, C]`.
  ///   - pixels: P.
  /// - Returns: `[P, F]`.
  public func activations(features: [Float], pixels: Int) -> [Float] {
    headOutput(features: features, pixels: pixels, activation: activation)
  }

  private func headOutput(features: [Float], pixels: Int, activation: Activation) -> [Float] {
    precondition(features.count == pixels * featureChannels, "features must be [P, \(featureChannels)]")
    var output = [Float](repeating: 0, count: pixels * headChannels)
    features.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { output in
        head.forward(
          input: input.baseAddress!, rows: pixels, activation: activation, output: output.baseAddress!,
          pool: .shared)
      }
    }
    return output
  }

  /// The class scores (logits) of pooled activations.
  ///
  /// - Parameters:
  ///   - activations: The head's output, `[P, F]`.
  ///   - pixels: P.
  /// - Returns: `[K]`.
  public func logits(activations: [Float], pixels: Int) -> [Double] {
    precondition(activations.count == pixels * headChannels, "activations must be [P, \(headChannels)]")
    var pooled = [Double](repeating: 0, count: headChannels)
    for position in 0..<pixels {
      for channel in 0..<headChannels {
        pooled[channel] += Double(activations[position * headChannels + channel])
      }
    }
    return (0..<classCount).map { classIndex in
      var sum = Double(classifierBias[classIndex])
      for channel in 0..<headChannels {
        sum +=
          Double(classifierWeights[classIndex * headChannels + channel]) * pooled[channel] / Double(pixels)
      }
      return sum
    }
  }

  /// The score (logit) of one class from the head's activated output.
  ///
  /// - Parameters:
  ///   - activations: `[P, F]`.
  ///   - pixels: P.
  ///   - classIndex: The class, `0..<K`.
  public func score(activations: [Float], pixels: Int, classIndex: Int) -> Double {
    precondition((0..<classCount).contains(classIndex), "class \(classIndex) outside 0..<\(classCount)")
    return logits(activations: activations, pixels: pixels)[classIndex]
  }

  /// The score (logit) of one class from the last block's output, through the whole head.
  ///
  /// - Parameters:
  ///   - features: `[P, C]`.
  ///   - pixels: P.
  ///   - classIndex: The class, `0..<K`.
  public func score(features: [Float], pixels: Int, classIndex: Int) -> Double {
    score(
      activations: activations(features: features, pixels: pixels), pixels: pixels, classIndex: classIndex)
  }

  /// `∂score/∂A[p, k] = W[class, k] / P`: exact, since pooling and the classifier are linear.
  ///
  /// - Parameters:
  ///   - pixels: P.
  ///   - classIndex: The class, `0..<K`.
  /// - Returns: `[P, F]` (the same row at every position).
  public func activationGradient(pixels: Int, classIndex: Int) -> [Float] {
    precondition((0..<classCount).contains(classIndex), "class \(classIndex) outside 0..<\(classCount)")
    let row = (0..<headChannels).map {
      Float(Double(classifierWeights[classIndex * headChannels + $0]) / Double(pixels))
    }
    return Array([[Float]](repeating: row, count: pixels).joined())
  }

  /// `∂score/∂X[p, c] = Σ_k (W[class, k] / P) · act′(Z[p, k]) · Wₕ[k, c]`: the gradient at the last
  /// block's output, back through the activation and the folded head convolution.
  ///
  /// - Parameters:
  ///   - features: The last block's output for one image, `[P, C]`.
  ///   - pixels: P.
  ///   - classIndex: The class, `0..<K`.
  /// - Returns: `[P, C]`.
  public func featureGradient(features: [Float], pixels: Int, classIndex: Int) -> [Float] {
    var gradient = activationGradient(pixels: pixels, classIndex: classIndex)
    let preActivations = preActivations(features: features, pixels: pixels)
    var result = [Float](repeating: 0, count: pixels * featureChannels)
    preActivations.withUnsafeBufferPointer { preActivations in
      gradient.withUnsafeMutableBufferPointer { gradient in
        ActivationBackward.inputGradient(
          activation, preActivation: preActivations, outputGradient: UnsafeBufferPointer(gradient),
          inputGradient: gradient, accumulate: false, pool: .shared)
        result.withUnsafeMutableBufferPointer { result in
          head.inputBackward(
            outputGradient: gradient.baseAddress!, rows: pixels, inputGradient: result.baseAddress!,
            pool: .shared)
        }
      }
    }
    return result
  }
}
