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
