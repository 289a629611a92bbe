import EfficientNetDetection
import EfficientNetModels

/// An EfficientDet as ONNX nodes at a fixed input size: the backbone to P5, the extra levels, the
/// BiFPN cells (fusion factors computed at export: `relu(wᵢ) / (Σ relu(wⱼ) + 1e-4)` are constants of
/// a trained model), and both heads with their per-level batch norms folded; the outputs are effdet's
/// `class_out.0…4` and `box_out.0…4` (NCHW, P3 first). Anchors, box decoding and NMS are left out.
struct DetectorGraph {
  let detector: EfficientDet
  let height: Int, width: Int
  var builder = ONNXGraphBuilder()
  private var sizes: LevelSizes
  /// Shared depthwise weights by module (the heads share theirs across levels).
  private var depthwiseWeights: [String: String] = [:]

  init(detector: EfficientDet, height: Int, width: Int) {
    self.detector = detector
    self.height = height
    self.width = width
    sizes = detector.layout.levelSizes(height: height, width: width)
  }

  /// A level's feature map: its value's name and its level.
  private struct Level {
    var name: String
    var level: Int
  }

  /// Adds every node from `input`; returns the outputs' names, class outputs first.
  mutating func build(input: String) -> [String] {
    let layout = detector.layout
    var options = ONNXExportOptions()
    options.size = .fixed(height: height, width: width)
    var backbone = ClassifierGraph(network: detector.backbone, options: options, fixedSize: (height, width))
    backbone.builder = builder
    let features = backbone.features(from: input, stages: layout.backboneFeatureStages)
    builder = backbone.builder
    var levels = features.enumerated().map {
      Level(name: $1.name, level: detector.configuration.minimumLevel + $0)
    }
    for (index, extra) in layout.extraLevels.enumerated() {
      levels.append(resample(levels.last!, extra, name: "extra.\(index)"))
    }
    for (cellIndex, cell) in layout.cells.enumerated() {
      var nodes = levels
      for (nodeIndex, node) in cell.enumerated() {
        let name = "bifpn.\(cellIndex).\(nodeIndex)"
        let inputs = zip(node.node.inputs, node.resamplings).enumerated().map {
          resample(nodes[$1.0], $1.1, name: name + ".input\($0)")
        }
        let factors = FeatureFusion.coefficients(
          weights: node.fusionWeights.map { detector.tensor($0.name).scalars }, inputCount: inputs.count
        ).factors
        var fused: String?
        for (offset, (input, factor)) in zip(inputs, factors).enumerated() {
          let factorName = builder.constant(name + ".factor\(offset)", shape: [], values: [factor])
          let scaled = builder.node("Mul", [input.name, factorName], output: name + ".scaled\(offset)")
          fused = fused.map { builder.node("Add", [$0, scaled], output: name + ".sum\(offset)") } ?? scaled
        }
        let activated = builder.activation(detector.configuration.activation, fused!, name: name + ".fused")
        let depthwise = depthwiseConvolution(node.convolution.depthwise, activated, name: name + ".dw")
        let output = pointwise(node.convolution.pointwise, node.normalization, depthwise, name: name + ".pw")
        nodes.append(Level(name: output, level: inputs[0].level))
      }
      levels = layout.graph.outputs.map { nodes[$0] }
    }
    let classOutputs = head(layout.classHead, levels, output: "class_out")
    let boxOutputs = head(layout.boxHead, levels, output: "box_out")
    return classOutputs + boxOutputs
  }

  /// A head at every level: each repeat's shared depthwise convolution, the level's folded pointwise
  /// convolution and the activation; then the prediction, named `output.<level offset>`.
  private mutating func head(_ head: HeadLayout, _ levels: [Level], output: String) -> [String] {
    levels.enumerated().map { offset, level in
      var x = level.name
      for (index, (convolution, normalizations)) in zip(head.repeats, head.normalizations).enumerated() {
        let name = "\(head.module).\(index).level\(offset)"
        x = depthwiseConvolution(convolution.depthwise, x, name: name + ".dw")
        x = pointwise(convolution.pointwise, normalizations[offset], x, name: name + ".pw")
        x = builder.activation(detector.configuration.activation, x, name: name)
      }
      let name = "\(head.module).predict.level\(offset)"
      x = depthwiseConvolution(head.prediction.depthwise, x, name: name + ".dw")
      return pointwise(head.prediction.pointwise, nil, x, name: "\(output).\(offset)")
    }
  }

  /// `x` to `resampling`'s target level: the channel-matching convolution (batch norm folded), then
  /// 3×3 stride-2 max pooling down or nearest upsampling to the target's exact size.
  private mutating func resample(_ x: Level, _ resampling: PyramidResampling, name: String) -> Level {
    var value = x.name
    if let convolution = resampling.convolution {
      value = pointwise(convolution, resampling.normalization, value, name: name + ".conv")
    }
    let steps = resampling.targetLevel - resampling.sourceLevel
    precondition(abs(steps) <= 1, "BiFPN edges join neighbouring levels")
    let source = sizes[resampling.sourceLevel]!
    let target = sizes[resampling.targetLevel]!
    if steps > 0 {
      let geometry = detector.configuration.padding.geometry(
        inputHeight: source.height, inputWidth: source.width, kernel: 3, stride: 2)
      let bottom = max(0, (geometry.outputHeight - 1) * 2 + 3 - source.height) - geometry.padTop
      let right = max(0, (geometry.outputWidth - 1) * 2 + 3 - source.width) - geometry.padLeft
      value = builder.node(
        "MaxPool", [value], output: name + ".down",
        attributes: [
          ONNXAttribute.integers("kernel_shape", [3, 3]), ONNXAttribute.integers("strides", [2, 2]),
          ONNXAttribute.integers("pads", [geometry.padTop, geometry.padLeft, bottom, right]),
        ])
    } else if steps < 0 {
      value = upsample(value, from: source, to: target, name: name + ".up")
    }
    return Level(name: value, level: resampling.targetLevel)
  }

  /// Nearest upsampling to exactly `target` (PyTorch's `interpolate(size=…)`: the source pixel of
  /// output `y` is `⌊y · in / out⌋`), batch and channels kept from `x`'s shape.
  private mutating func upsample(
    _ x: String, from source: (height: Int, width: Int), to target: (height: Int, width: Int), name: String
  ) -> String {
    let shape = builder.node("Shape", [x], output: name + ".shape")
    let start = builder.integerConstant(name + ".start", values: [0])
    let end = builder.integerConstant(name + ".end", values: [2])
    let batchAndChannels = builder.node("Slice", [shape, start, end], output: name + ".nc")
    let spatial = builder.integerConstant(name + ".hw", values: [Int64(target.height), Int64(target.width)])
    let sizes = builder.node(
      "Concat", [batchAndChannels, spatial], output: name + ".sizes",
      attributes: [ONNXAttribute.integer("axis", 0)])
    return builder.node(
      "Resize", [x, "", "", sizes], output: name,
      attributes: [
        ONNXAttribute.string("mode", "nearest"),
        ONNXAttribute.string("coordinate_transformation_mode", "asymmetric"),
        ONNXAttribute.string("nearest_mode", "floor"),
      ])
  }

  /// A 3×3 depthwise convolution, stride 1, one pixel of zeros around, no bias; its weights shared by
  /// every use of the same module.
  private mutating func depthwiseConvolution(_ layer: DetectorLayer, _ x: String, name: String) -> String {
    let weights =
      depthwiseWeights[layer.module]
      ?? builder.constant(
        layer.module + ".weight", shape: layer.weightShape,
        values: detector.tensor(layer.module + ".weight").scalars)
    depthwiseWeights[layer.module] = weights
    var inputs = [x, weights]
    if layer.hasBias {
      inputs.append(
        builder.constant(
          name + ".bias", shape: [layer.outputChannels],
          values: detector.tensor(layer.module + ".bias").scalars))
    }
    return builder.node(
      "Conv", inputs, output: name,
      attributes: [
        ONNXAttribute.integers("kernel_shape", [3, 3]), ONNXAttribute.integers("strides", [1, 1]),
        ONNXAttribute.integers("pads", [1, 1, 1, 1]), ONNXAttribute.integer("group", layer.outputChannels),
      ])
  }

  /// A 1×1 convolution with `normalization` folded in (its own bias moved through the batch norm).
  private mutating func pointwise(
    _ layer: DetectorLayer, _ normalization: DetectorNormalization?, _ x: String, name: String
  ) -> String {
    let (weights, bias) = detector.folded(layer, normalization)
    let weightName = builder.constant(name + ".weight", shape: layer.weightShape, values: weights)
    let biasName = builder.constant(name + ".bias", shape: [layer.outputChannels], values: bias)
    return builder.node(
      "Conv", [x, weightName, biasName], output: name,
      attributes: [
        ONNXAttribute.integers("kernel_shape", [1, 1]), ONNXAttribute.integers("strides", [1, 1]),
      ])
  }
}
