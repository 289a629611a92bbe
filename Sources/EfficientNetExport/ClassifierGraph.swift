import EfficientNetModels
import ONNXSchema

/// An EfficientNet classifier as ONNX nodes, read from its ``NetworkLayout``: stem, MBConv blocks
/// (expansion, depthwise, squeeze-and-excitation, projection, residual), head, pooling, classifier.
struct ClassifierGraph {
  let network: EfficientNet
  let options: ONNXExportOptions
  /// The fixed input size, or nil for a dynamic one.
  let fixedSize: (height: Int, width: Int)?
  var builder = ONNXGraphBuilder()
  /// The spatial size of the current activation (when fixed), for explicit TF "same" pads.
  private var height = 0, width = 0

  init(network: EfficientNet, options: ONNXExportOptions, fixedSize: (height: Int, width: Int)?) {
    self.network = network
    self.options = options
    self.fixedSize = fixedSize
    (height, width) = fixedSize ?? (0, 0)
  }

  /// Adds every node from `input` (NCHW) to the logits (or, without a classifier, the pooled
  /// features); returns the output's name.
  mutating func build(input: String) -> String {
    let layout = network.layout
    var x = blocks(from: input, through: layout.blocks.count - 1).last!.name
    x = layer(layout.head, x, name: "head")
    x = builder.node("GlobalAveragePool", [x], output: "pooled")
    x = builder.node(
      "Flatten", [x], output: layout.classifier == nil ? "features" : "pooled.flat",
      attributes: [ONNXAttribute.integer("axis", 1)])
    if let classifier = layout.classifier {
      let weight = builder.constant(
        "classifier.weight", shape: classifier.weightShape,
        values: network.tensor(.linearWeight, of: classifier).scalars)
      let bias = builder.constant(
        "classifier.bias", shape: [classifier.outputChannels],
        values: network.tensor(.bias, of: classifier).scalars)
      x = builder.node(
        "Gemm", [x, weight, bias], output: "logits", attributes: [ONNXAttribute.integer("transB", 1)])
    }
    return x
  }

  /// The backbone of a detector: the outputs of the last block of each of `stages` (NCHW), with their
  /// sizes at the fixed input size; nothing after the last of them.
  mutating func features(from input: String, stages: [Int]) -> [(name: String, height: Int, width: Int)] {
    let architecture = network.architecture
    let lastBlocks = stages.map { architecture.stages[$0].last!.globalIndex }
    let outputs = blocks(from: input, through: lastBlocks.max()!)
    // outputs[0] is the stem's; block i's is outputs[i + 1].
    return lastBlocks.map { outputs[$0 + 1] }
  }

  /// The stem and blocks `0...last`: the stem's output and every block's, with their sizes (at a
  /// fixed input size; 0 at a dynamic one).
  private mutating func blocks(from input: String, through last: Int) -> [(
    name: String, height: Int, width: Int
  )] {
    let layout = network.layout
    var x = layer(layout.stem, input, name: "stem")
    var outputs = [(x, height, width)]
    for (index, block) in layout.blocks.enumerated() where index <= last {
      let blockInput = x
      let name = "blocks.\(index)"
      if let expansion = block.expansion { x = layer(expansion, x, name: name + ".expand") }
      x = layer(block.depthwise, x, name: name + ".depthwise")
      if let (reduce, expand) = block.squeezeExcitation {
        var gate = builder.node("GlobalAveragePool", [x], output: name + ".se.pooled")
        gate = layer(reduce, gate, name: name + ".se.reduce")
        gate = layer(expand, gate, name: name + ".se.expand")
        x = builder.node("Mul", [x, gate], output: name + ".se")
      }
      x = layer(block.projection, x, name: name + ".project")
      if block.block.hasResidual { x = builder.node("Add", [x, blockInput], output: name) }
      outputs.append((x, height, width))
    }
    return outputs
  }
  /// A convolution layer (dense, depthwise or 1×1) with its batch norm (folded, or a node) and what
  /// follows it.
  private mutating func layer(_ layer: NetworkLayer, _ input: String, name: String) -> String {
    var weights = network.tensor(.convolutionWeight, of: layer).scalars
    var bias: [Float]? = layer.hasBias ? network.tensor(.bias, of: layer).scalars : nil
    if layer.isNormalized && options.foldsBatchNorm {
      // Normalized layers have no bias of their own: the fold gives the only one.
      (weights, bias) = network.folded(layer)
    }
    var inputs = [input, builder.constant(name + ".weight", shape: layer.weightShape, values: weights)]
    if let bias {
      inputs.append(builder.constant(name + ".bias", shape: [layer.outputChannels], values: bias))
    }
    var attributes = [
      ONNXAttribute.integers("kernel_shape", [layer.kernelSize, layer.kernelSize]),
      ONNXAttribute.integers("strides", [layer.stride, layer.stride]),
      ONNXAttribute.integers("dilations", [1, 1]),
      ONNXAttribute.integer("group", layer.operation == .depthwise ? layer.outputChannels : 1),
    ]
    attributes += padding(kernel: layer.kernelSize, stride: layer.stride)
    var x = builder.node("Conv", inputs, output: name + ".conv", attributes: attributes)
    if layer.isNormalized && !options.foldsBatchNorm { x = batchNorm(layer, x, name: name) }
    return activate(layer.activation, x, name: name)
  }

  /// The padding attributes of a k×k, stride-s convolution at the current size (which it updates).
  private mutating func padding(kernel: Int, stride: Int) -> [Onnx_AttributeProto] {
    let mode = network.configuration.padding
    if mode == .tensorFlowSame && fixedSize == nil {
      // TF "same" puts the odd pixel at the bottom and right: SAME_UPPER, whatever the size.
      return [ONNXAttribute.string("auto_pad", "SAME_UPPER")]
    }
    let geometry = mode.geometry(
      inputHeight: max(height, 1), inputWidth: max(width, 1), kernel: kernel, stride: stride)
    if fixedSize != nil {
      (height, width) = (geometry.outputHeight, geometry.outputWidth)
    }
    // Symmetric padding does not depend on the size; TF "same" at a fixed size is spelled out.
    let total = { (input: Int, output: Int) in max(0, (output - 1) * stride + kernel - input) }
    let (top, left) = (geometry.padTop, geometry.padLeft)
    let bottom = mode == .symmetric ? top : total(geometry.inputHeight, geometry.outputHeight) - top
    let right = mode == .symmetric ? left : total(geometry.inputWidth, geometry.outputWidth) - left
    return [ONNXAttribute.integers("pads", [top, left, bottom, right])]
  }

  /// An unfolded batch norm as a `BatchNormalization` node.
  private mutating func batchNorm(_ layer: NetworkLayer, _ input: String, name: String) -> String {
    let channels = [layer.outputChannels]
    let inputs = [
      input,
      builder.constant(
        name + ".bn.weight", shape: channels, values: network.tensor(.batchNormWeight, of: layer).scalars),
      builder.constant(
        name + ".bn.bias", shape: channels, values: network.tensor(.batchNormBias, of: layer).scalars),
      builder.constant(
        name + ".bn.running_mean", shape: channels, values: network.tensor(.runningMean, of: layer).scalars),
      builder.constant(
        name + ".bn.running_var", shape: channels, values: network.tensor(.runningVariance, of: layer).scalars
      ),
    ]
    return builder.node(
      "BatchNormalization", inputs, output: name + ".bn",
      attributes: [ONNXAttribute.float("epsilon", Float(network.configuration.batchNormEpsilon))])
  }

  /// `x` through what follows a layer: nothing, the model's activation, or a sigmoid.
  mutating func activate(_ activation: LayerActivation, _ x: String, name: String) -> String {
    switch activation {
    case .none: return x
    case .sigmoid: return builder.node("Sigmoid", [x], output: name + ".sigmoid")
    case .model: return builder.activation(network.configuration.activation, x, name: name)
    }
  }
}
