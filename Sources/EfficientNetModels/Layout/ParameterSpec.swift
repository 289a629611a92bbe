/// What a named tensor of the model is for.
public enum ParameterRole: String, Sendable {
  /// A convolution kernel, `[O, I/groups, KH, KW]`.
  case convolutionWeight
  /// A linear weight, `[out, in]`.
  case linearWeight
  /// A bias of a convolution or linear layer.
  case bias
  /// Batch-norm scale γ.
  case batchNormWeight
  /// Batch-norm shift β.
  case batchNormBias
  /// Batch-norm running mean (a buffer, not trained by gradients).
  case runningMean
  /// Batch-norm running variance (a buffer, not trained by gradients).
  case runningVariance

  /// Whether the tensor is trained by gradient descent (running statistics are not).
  public var isTrainable: Bool { self != .runningMean && self != .runningVariance }

  /// The batch norm's four tensors, in state-dict order.
  public static let normalizationRoles: [ParameterRole] = [
    .batchNormWeight, .batchNormBias, .runningMean, .runningVariance,
  ]

  /// The parameter's name after its module path (the same in every scheme): `.weight`, `.bias`,
  /// `.running_mean`, `.running_var`.
  public var parameterSuffix: String {
    switch self {
    case .convolutionWeight, .linearWeight, .batchNormWeight: return ".weight"
    case .bias, .batchNormBias: return ".bias"
    case .runningMean: return ".running_mean"
    case .runningVariance: return ".running_var"
    }
  }
}

/// One named tensor of the model, with timm's name, PyTorch's layout and the layer it belongs to.
public struct ParameterSpec: Equatable, Sendable {
  /// timm's state-dict key, e.g. `blocks.1.0.conv_dw.weight`.
  public var name: String
  /// PyTorch's shape.
  public var shape: [Int]
  /// What the tensor is.
  public var role: ParameterRole
  /// The layer holding the tensor (a batch norm's tensors belong to the layer it follows).
  public var layer: LayerIdentity

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }
}

extension Architecture {
  /// The architecture's typed layout (every layer, its shapes and names).
  public var layout: NetworkLayout { NetworkLayout(self) }

  /// Every tensor of the model in timm's state-dict order (without `num_batches_tracked`).
  public func parameterSpecs() -> [ParameterSpec] { layout.parameterSpecs }
}
