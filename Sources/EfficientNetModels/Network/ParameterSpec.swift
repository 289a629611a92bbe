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
}

/// One named tensor of the model, with timm's name and PyTorch's layout.
public struct ParameterSpec: Equatable, Sendable {
  /// timm's state-dict key, e.g. `blocks.1.0.conv_dw.weight`.
  public var name: String
  /// PyTorch's shape.
  public var shape: [Int]
  /// What the tensor is.
  public var role: ParameterRole
}

extension Architecture {
  /// Every tensor of the model in timm's state-dict order (without `num_batches_tracked`).
  public func parameterSpecs() -> [ParameterSpec] {
    var specs: [ParameterSpec] = []
    func convolution(_ name: String, _ output: Int, _ input: Int, _ kernel: Int) {
      specs.append(
        ParameterSpec(
          name: name + ".weight", shape: [output, input, kernel, kernel], role: .convolutionWeight))
    }
    func batchNorm(_ name: String, _ channels: Int) {
      let roles: [(String, ParameterRole)] = [
        ("weight", .batchNormWeight), ("bias", .batchNormBias), ("running_mean", .runningMean),
        ("running_var", .runningVariance),
      ]
      for (suffix, role) in roles {
        specs.append(ParameterSpec(name: "\(name).\(suffix)", shape: [channels], role: role))
      }
    }
    func squeezeExcitation(_ prefix: String, _ block: ResolvedBlock) {
      guard block.hasSqueezeExcitation else { return }
      convolution(prefix + "se.conv_reduce", block.squeezeChannels, block.expandedChannels, 1)
      specs.append(
        ParameterSpec(name: prefix + "se.conv_reduce.bias", shape: [block.squeezeChannels], role: .bias))
      convolution(prefix + "se.conv_expand", block.expandedChannels, block.squeezeChannels, 1)
      specs.append(
        ParameterSpec(name: prefix + "se.conv_expand.bias", shape: [block.expandedChannels], role: .bias))
    }
    convolution("conv_stem", stemChannels, configuration.inputChannels, 3)
    batchNorm("bn1", stemChannels)
    for block in blocks {
      let prefix = "blocks.\(block.stage).\(block.indexInStage)."
      switch block.kind {
      case .depthwiseSeparable:
        specs.append(
          ParameterSpec(
            name: prefix + "conv_dw.weight",
            shape: [block.expandedChannels, 1, block.kernelSize, block.kernelSize],
            role: .convolutionWeight))
        batchNorm(prefix + "bn1", block.expandedChannels)
        squeezeExcitation(prefix, block)
        convolution(prefix + "conv_pw", block.outputChannels, block.expandedChannels, 1)
        batchNorm(prefix + "bn2", block.outputChannels)
      case .invertedResidual:
        convolution(prefix + "conv_pw", block.expandedChannels, block.inputChannels, 1)
        batchNorm(prefix + "bn1", block.expandedChannels)
        specs.append(
          ParameterSpec(
            name: prefix + "conv_dw.weight",
            shape: [block.expandedChannels, 1, block.kernelSize, block.kernelSize],
            role: .convolutionWeight))
        batchNorm(prefix + "bn2", block.expandedChannels)
        squeezeExcitation(prefix, block)
        convolution(prefix + "conv_pwl", block.outputChannels, block.expandedChannels, 1)
        batchNorm(prefix + "bn3", block.outputChannels)
      }
    }
    convolution("conv_head", headChannels, blocks.last?.outputChannels ?? stemChannels, 1)
    batchNorm("bn2", headChannels)
    if configuration.includeClassifier {
      specs.append(
        ParameterSpec(
          name: "classifier.weight", shape: [configuration.classCount, headChannels], role: .linearWeight))
      specs.append(ParameterSpec(name: "classifier.bias", shape: [configuration.classCount], role: .bias))
    }
    return specs
  }
}
