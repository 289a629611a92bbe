import EfficientNetKernels

/// Exact parameter and multiply-accumulate counts of an architecture.
public struct ModelCost: Equatable, Sendable {
  /// Trainable parameters (batch-norm running statistics are buffers and not counted).
  public var parameters: Int
  /// Multiply-accumulates of one forward pass of one image (the paper's "FLOPs").
  public var multiplyAccumulates: Int

  /// A cost of `parameters` and `multiplyAccumulates`.
  public init(parameters: Int, multiplyAccumulates: Int) {
    self.parameters = parameters
    self.multiplyAccumulates = multiplyAccumulates
  }
}

extension Architecture {
  /// The spatial output size of a convolution with this architecture's padding.
  public func outputSize(_ input: Int, kernel: Int, stride: Int) -> Int {
    switch configuration.padding {
    case .symmetric:
      let pad = ((stride - 1) + (kernel - 1)) / 2
      return (input + 2 * pad - kernel) / stride + 1
    case .tensorFlowSame:
      return (input + stride - 1) / stride
    }
  }

  /// Parameters and MACs at an input of `height`×`width` (the native resolution when omitted).
  ///
  /// Counts convolutions, squeeze-and-excitation and the classifier; batch norm, activations and
  /// pooling are not multiply-accumulates and are left out, as in the paper.
  public func cost(height: Int? = nil, width: Int? = nil) -> ModelCost {
    var h = outputSize(height ?? configuration.resolution, kernel: 3, stride: 2)
    var w = outputSize(width ?? configuration.resolution, kernel: 3, stride: 2)
    let inputChannels = configuration.inputChannels
    // Stem: 3×3 stride-2 convolution + batch norm.
    var parameters = stemChannels * inputChannels * 9 + 2 * stemChannels
    var macs = h * w * stemChannels * inputChannels * 9
    for block in blocks {
      let (input, expanded, output) = (block.inputChannels, block.expandedChannels, block.outputChannels)
      if block.hasExpansion {
        parameters += input * expanded + 2 * expanded
        macs += h * w * input * expanded
      }
      h = outputSize(h, kernel: block.kernelSize, stride: block.stride)
      w = outputSize(w, kernel: block.kernelSize, stride: block.stride)
      parameters += expanded * block.kernelSize * block.kernelSize + 2 * expanded
      macs += h * w * expanded * block.kernelSize * block.kernelSize
      if block.hasSqueezeExcitation {
        let squeeze = block.squeezeChannels
        parameters += expanded * squeeze + squeeze + squeeze * expanded + expanded
        macs += 2 * expanded * squeeze
      }
      parameters += expanded * output + 2 * output
      macs += h * w * expanded * output
    }
    let last = blocks.last?.outputChannels ?? stemChannels
    parameters += last * headChannels + 2 * headChannels
    macs += h * w * last * headChannels
    if configuration.includeClassifier {
      parameters += headChannels * configuration.classCount + configuration.classCount
      macs += headChannels * configuration.classCount
    }
    return ModelCost(parameters: parameters, multiplyAccumulates: macs)
  }
}

extension PaddingMode {
  /// The geometry of a square-kernel convolution under this padding convention.
  public func geometry(inputHeight: Int, inputWidth: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
    switch self {
    case .symmetric:
      return .symmetric(inputHeight: inputHeight, inputWidth: inputWidth, kernelSize: kernel, stride: stride)
    case .tensorFlowSame:
      return .tensorFlowSame(
        inputHeight: inputHeight, inputWidth: inputWidth, kernelSize: kernel, stride: stride)
    }
  }
}
