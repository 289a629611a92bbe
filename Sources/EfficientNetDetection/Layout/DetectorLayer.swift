/// The arithmetic of a detector layer outside the backbone.
public enum DetectorOperation: Equatable, Sendable {
  /// A 1×1 convolution.
  case pointwise
  /// A depthwise 3×3 convolution (the first half of a separable convolution).
  case depthwise
}

/// One convolution of the feature network or a head, with its effdet module path.
public struct DetectorLayer: Equatable, Sendable {
  /// The module path in effdet's state dict, e.g. `fpn.cell.0.fnode.0.after_combine.conv.conv_dw`.
  public var module: String
  /// The kind of product.
  public var operation: DetectorOperation
  /// Input and output channels.
  public var inputChannels: Int, outputChannels: Int
  /// Whether the convolution adds a bias.
  public var hasBias: Bool
  /// The pyramid levels it runs at (several for the heads, whose convolutions are shared).
  public var levels: [Int]

  /// The depthwise kernel size.
  public static let depthwiseKernelSize = 3

  /// The weight's shape in PyTorch's layout.
  public var weightShape: [Int] {
    switch operation {
    case .pointwise: return [outputChannels, inputChannels, 1, 1]
    case .depthwise: return [outputChannels, 1, Self.depthwiseKernelSize, Self.depthwiseKernelSize]
    }
  }

  /// Multiply-accumulates per output position.
  public var multiplyAccumulatesPerPosition: Int {
    switch operation {
    case .pointwise: return outputChannels * inputChannels
    case .depthwise: return outputChannels * Self.depthwiseKernelSize * Self.depthwiseKernelSize
    }
  }

  /// The layer's tensors in state-dict order.
  public var parameters: [DetectorParameter] {
    var list = [DetectorParameter(name: module + ".weight", shape: weightShape, role: .weight)]
    if hasBias {
      list.append(DetectorParameter(name: module + ".bias", shape: [outputChannels], role: .bias))
    }
    return list
  }
}

/// A batch norm outside the backbone (epsilon 1e-3), with its module path and the level it serves.
public struct DetectorNormalization: Equatable, Sendable {
  /// The module path, e.g. `class_net.bn_rep.0.2.bn`.
  public var module: String
  /// The channels.
  public var channels: Int
  /// The pyramid level it normalizes.
  public var level: Int

  /// The epsilon of every batch norm outside the backbone (effdet's and automl's).
  public static let epsilon: Float = 1e-3

  /// Its four tensors in state-dict order: weight, bias, running mean, running variance.
  public var parameters: [DetectorParameter] {
    [
      ("weight", DetectorParameter.Role.weight), ("bias", .bias), ("running_mean", .runningMean),
      ("running_var", .runningVariance),
    ]
    .map { DetectorParameter(name: module + "." + $0.0, shape: [channels], role: $0.1) }
  }
}

/// A depthwise 3×3 convolution followed by a 1×1 one.
public struct SeparableConvolution: Equatable, Sendable {
  /// The depthwise half.
  public var depthwise: DetectorLayer
  /// The pointwise half.
  public var pointwise: DetectorLayer

  /// The two halves under `module` (`conv_dw`, `conv_pw`).
  init(module: String, inputChannels: Int, outputChannels: Int, hasBias: Bool, levels: [Int]) {
    depthwise = DetectorLayer(
      module: module + ".conv_dw", operation: .depthwise, inputChannels: inputChannels,
      outputChannels: inputChannels, hasBias: false, levels: levels)
    pointwise = DetectorLayer(
      module: module + ".conv_pw", operation: .pointwise, inputChannels: inputChannels,
      outputChannels: outputChannels, hasBias: hasBias, levels: levels)
  }

  /// Both halves, in order.
  public var layers: [DetectorLayer] { [depthwise, pointwise] }
}

/// One named tensor of a detector.
public struct DetectorParameter: Equatable, Sendable {
  /// What a tensor is.
  public enum Role: Equatable, Sendable {
    /// A convolution kernel or a batch-norm scale.
    case weight
    /// A bias or a batch-norm shift.
    case bias
    /// A batch norm's running mean (a buffer).
    case runningMean
    /// A batch norm's running variance (a buffer).
    case runningVariance
    /// A BiFPN node's fusion weights, one per input.
    case fusionWeights
  }

  /// effdet's state-dict key.
  public var name: String
  /// PyTorch's shape.
  public var shape: [Int]
  /// What it is.
  public var role: Role

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }
  /// Whether gradient descent trains it (running statistics are buffers).
  public var isTrainable: Bool { role != .runningMean && role != .runningVariance }
}
