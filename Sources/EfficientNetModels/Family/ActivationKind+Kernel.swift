import EfficientNetKernels

extension ActivationKind {
  /// The kernels' activation for this kind (the one map from the configuration to the kernels).
  public var kernelActivation: Activation {
    switch self {
    case .silu: return .silu
    case .relu6: return .relu6
    case .relu: return .relu
    }
  }
}

extension LayerActivation {
  /// The kernels' activation for a layer with this activation in a model of `kind`.
  public func kernelActivation(model kind: ActivationKind) -> Activation {
    switch self {
    case .none: return .identity
    case .model: return kind.kernelActivation
    case .sigmoid: return .sigmoid
    }
  }
}
