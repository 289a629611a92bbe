import EfficientNetKernels
import Foundation

/// The end of an EfficientNet after its last block, as plain arithmetic that can be differentiated:
/// `conv_head` (1×1, batch norm `bn2` folded in), the activation, global average pooling and the
/// linear classifier.
///
/// Shapes use P for the positions of one image's last feature map (`h · w`), C for the last block's
/// channels, F for the head's channels (1280 for B0 and Lite0) and K for the classes. Feature maps are
/// position-major (`[P, C]`, NHWC without the batch axis). Sums accumulate in `Double`.
public struct ClassificationHead: Sendable {
  /// The last block's output channels (C), the head's input.
  public let featureChannels: Int
  /// The head convolution's output channels (F), the pooled features.
  public let headChannels: Int
  /// The classes (K).
  public let classCount: Int
  let activation: Activation
  /// `conv_head` with `bn2` folded, `[F, C]`, and its bias `[F]`.
  let headWeights: [Float]
  let headBias: [Float]
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
    let head = model.layout.head
    (headWeights, headBias) = model.folded(head)
    headChannels = head.outputChannels
    featureChannels = head.inputChannels
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
  public func preActivations(features: [Float], pixels: Int) -> [Double] {
    precondition(features.count == pixels * featureChannels, "features must be [P, \(featureChannels)]")
    var result = [Double](repeating: 0, count: pixels * headChannels)
    for position in 0..<pixels {
      let row = position * featureChannels
      for output in 0..<headChannels {
        let weightRow = output * featureChannels
        var sum = Double(headBias[output])
        for channel in 0..<featureChannels {
          sum += Double(features[row + channel]) * Double(headWeights[weightRow + channel])
        }
        result[position * headChannels + output] = sum
      }
    }
    return result
  }

  /// The head's activated output `A = act(Z)`: what timm's `bn2` (a `BatchNormAct2d`) returns.
  ///
  /// - Parameters:
  ///   - features: The last block's output for one image, `[P, C]`.
  ///   - pixels: P.
  /// - Returns: `[P, F]`.
  public func activations(features: [Float], pixels: Int) -> [Float] {
    preActivations(features: features, pixels: pixels).map { Float(activation.value(at: $0)) }
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
    precondition((0..<classCount).contains(classIndex), "class \(classIndex) outside 0..<\(classCount)")
    let preActivations = preActivations(features: features, pixels: pixels)
    var gradient = [Float](repeating: 0, count: pixels * featureChannels)
    var row = [Double](repeating: 0, count: featureChannels)
    for position in 0..<pixels {
      for index in row.indices { row[index] = 0 }
      for output in 0..<headChannels {
        let upstream = Double(classifierWeights[classIndex * headChannels + output]) / Double(pixels)
        let coefficient =
          upstream * activation.derivative(at: preActivations[position * headChannels + output])
        if coefficient == 0 { continue }
        let weightRow = output * featureChannels
        for channel in 0..<featureChannels {
          row[channel] += coefficient * Double(headWeights[weightRow + channel])
        }
      }
      for channel in 0..<featureChannels {
        gradient[position * featureChannels + channel] = Float(row[channel])
      }
    }
    return gradient
  }
}
