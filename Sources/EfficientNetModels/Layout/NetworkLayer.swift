/// The arithmetic of a layer.
public enum LayerOperation: Equatable, Sendable {
  /// A dense k×k convolution (the stem).
  case convolution
  /// A depthwise k×k convolution (one filter per channel).
  case depthwise
  /// A 1×1 convolution, a GEMM over positions.
  case pointwise
  /// A linear layer over pooled features.
  case linear
}

/// What follows a layer's convolution, before the next layer reads it.
public enum LayerActivation: Equatable, Sendable {
  /// Nothing (the projection and the classifier).
  case none
  /// The model's activation (``Configuration/activation``).
  case model
  /// A sigmoid (squeeze-and-excitation's gate).
  case sigmoid
}

/// One layer of an EfficientNet with everything executors, loaders and profilers need to know about
/// it: identity, arithmetic, shapes and what surrounds it. Read from ``NetworkLayout``; never built
/// by hand.
public struct NetworkLayer: Equatable, Sendable {
  /// Role and block.
  public var identity: LayerIdentity
  /// The kind of product.
  public var operation: LayerOperation
  /// Input and output channels (features, for the classifier).
  public var inputChannels: Int, outputChannels: Int
  /// Kernel size and stride (1 for 1×1 and linear layers).
  public var kernelSize: Int, stride: Int
  /// Whether the product adds a bias of its own.
  public var hasBias: Bool
  /// Whether a batch norm follows the product (folded into it for inference).
  public var isNormalized: Bool
  /// What follows the product (and its batch norm).
  public var activation: LayerActivation

  /// The role.
  public var role: LayerRole { identity.role }

  /// The weight's shape in PyTorch's layout: `[O, I, KH, KW]`, `[C, 1, KH, KW]` or `[out, in]`.
  public var weightShape: [Int] {
    switch operation {
    case .convolution: return [outputChannels, inputChannels, kernelSize, kernelSize]
    case .depthwise: return [outputChannels, 1, kernelSize, kernelSize]
    case .pointwise: return [outputChannels, inputChannels, 1, 1]
    case .linear: return [outputChannels, inputChannels]
    }
  }

  /// Multiply-accumulates for one output position (one row, for the linear layer).
  public var multiplyAccumulatesPerPosition: Int {
    operation == .depthwise
      ? outputChannels * kernelSize * kernelSize
      : outputChannels * inputChannels * kernelSize * kernelSize
  }
}
