import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

/// EfficientNet inference on an NVIDIA GPU with the project's own kernels: the network's layout read
/// as the CPU engine reads it, batch norm folded on the host (`EfficientNet.folded`), weights
/// uploaded once, activations NHWC on the device, one kernel per layer with its activation, the
/// squeeze-and-excitation gate and the residual fused into the projection.
///
/// First form, for correctness: every layer is a one-output-per-thread kernel (no cuBLAS or cuDNN
/// yet), buffers are allocated per call, and nothing here has been timed on a GPU. The tests run
/// these kernels' own source on the CPU through the stub driver and compare the logits with the
/// CPU engine's.
public final class CUDAInferenceEngine {
  /// The GPU the engine runs on.
  public let device: CUDADevice
  let kernels: ProjectKernels
  let configuration: Configuration
  let modelActivation: ProjectKernels.Activation
  let stem: DeviceLayer
  let blocks: [DeviceBlock]
  let head: DeviceLayer
  let classifier: DeviceLayer?

  /// One layer's weights and bias on the device, with its shape and activation.
  struct DeviceLayer {
    let weights: DeviceBuffer, bias: DeviceBuffer
    let inputs: Int, outputs: Int, kernel: Int, stride: Int
    let activation: ProjectKernels.Activation
  }

  /// One block's layers on the device.
  struct DeviceBlock {
    let block: ResolvedBlock
    let expansion: DeviceLayer?
    let depthwise: DeviceLayer
    let squeezeExcitation: (reduce: DeviceLayer, expand: DeviceLayer)?
    let projection: DeviceLayer
  }

  /// Folds and uploads `model`'s weights onto `device`.
  public init(model: EfficientNet, device: CUDADevice) throws {
    self.device = device
    kernels = try ProjectKernels(device: device)
    configuration = model.configuration
    let activation: ProjectKernels.Activation
    switch model.configuration.activation {
    case .silu: activation = .silu
    case .relu6: activation = .relu6
    case .relu: activation = .relu
    }
    modelActivation = activation
    func upload(_ layer: NetworkLayer, linear: Bool = false) throws -> DeviceLayer {
      let (weights, bias) =
        layer.isNormalized
        ? model.folded(layer)
        : (
          model.tensor(linear ? .linearWeight : .convolutionWeight, of: layer).scalars,
          model.tensor(.bias, of: layer).scalars
        )
      let kind: ProjectKernels.Activation
      switch layer.activation {
      case .none: kind = .identity
      case .model: kind = activation
      case .sigmoid: kind = .sigmoid
      }
      return DeviceLayer(
        weights: try DeviceBuffer(device: device, copying: weights),
        bias: try DeviceBuffer(device: device, copying: bias),
        inputs: layer.inputChannels, outputs: layer.outputChannels, kernel: layer.kernelSize,
        stride: layer.stride,
        activation: kind)
    }
    let layout = model.layout
    stem = try upload(layout.stem)
    blocks = try layout.blocks.map { block in
      DeviceBlock(
        block: block.block, expansion: try block.expansion.map { try upload($0) },
        depthwise: try upload(block.depthwise),
        squeezeExcitation: try block.squeezeExcitation.map { (try upload($0.reduce), try upload($0.expand)) },
        projection: try upload(block.projection))
    }
    head = try upload(layout.head)
    classifier = try layout.classifier.map { try upload($0, linear: true) }
  }

  /// The logits `[N, classes]` (nil for a headless model) and pooled features `[N, F]` of an NHWC
  /// input `[N, H, W, C]`, the same numbers as ``InferenceEngine`` gives within float rounding.
  public func evaluate(_ input: Tensor) throws -> (logits: Tensor?, pooled: Tensor) {
    precondition(
      input.shape.count == 4 && input.shape[3] == configuration.inputChannels, "NHWC input expected")
    guard input.withUnsafeBufferPointer({ Elementwise.allFinite($0) }) else {
      throw ModelError.invalidInput(name: "input", reason: "holds NaN or infinite values")
    }
    let (images, height, width) = (input.shape[0], input.shape[1], input.shape[2])
    var current = try DeviceBuffer(device: device, copying: input.scalars)
    var window = self.window(height, width, kernel: stem.kernel, stride: stem.stride)
    var next = try DeviceBuffer(
      device: device, count: images * window.outputHeight * window.outputWidth * stem.outputs)
    try kernels.convolution(
      current, weights: stem.weights, bias: stem.bias, into: next, images: images, inputChannels: stem.inputs,
      outputChannels: stem.outputs, window: window, activation: stem.activation)
    current = next
    var (h, w) = (window.outputHeight, window.outputWidth)
    for layers in blocks {
      let block = layers.block
      var depthwiseInput = current
      if let expansion = layers.expansion {
        depthwiseInput = try DeviceBuffer(device: device, count: images * h * w * expansion.outputs)
        try kernels.pointwise(
          current, weights: expansion.weights, bias: expansion.bias, gate: nil, residual: nil,
          into: depthwiseInput,
          rows: images * h * w, depth: expansion.inputs, outputs: expansion.outputs, pixels: h * w,
          activation: expansion.activation)
      }
      window = self.window(h, w, kernel: block.kernelSize, stride: block.stride)
      let pixels = window.outputHeight * window.outputWidth
      let channels = block.expandedChannels
      let depthwiseOutput = try DeviceBuffer(device: device, count: images * pixels * channels)
      try kernels.depthwise(
        depthwiseInput, weights: layers.depthwise.weights, bias: layers.depthwise.bias, into: depthwiseOutput,
        images: images, channels: channels, window: window, activation: layers.depthwise.activation)
      var gate: DeviceBuffer?
      if let (reduce, expand) = layers.squeezeExcitation {
        let means = try DeviceBuffer(device: device, count: images * channels)
        try kernels.globalAveragePool(
          depthwiseOutput, into: means, images: images, pixels: pixels, channels: channels)
        let reduced = try DeviceBuffer(device: device, count: images * reduce.outputs)
        try kernels.pointwise(
          means, weights: reduce.weights, bias: reduce.bias, gate: nil, residual: nil, into: reduced,
          rows: images,
          depth: channels, outputs: reduce.outputs, pixels: 1, activation: reduce.activation)
        let expanded = try DeviceBuffer(device: device, count: images * channels)
        try kernels.pointwise(
          reduced, weights: expand.weights, bias: expand.bias, gate: nil, residual: nil, into: expanded,
          rows: images,
          depth: reduce.outputs, outputs: channels, pixels: 1, activation: expand.activation)
        gate = expanded
      }
      next = try DeviceBuffer(device: device, count: images * pixels * block.outputChannels)
      try kernels.pointwise(
        depthwiseOutput, weights: layers.projection.weights, bias: layers.projection.bias, gate: gate,
        residual: block.hasResidual ? current : nil, into: next, rows: images * pixels, depth: channels,
        outputs: block.outputChannels, pixels: pixels, activation: layers.projection.activation)
      current = next
      (h, w) = (window.outputHeight, window.outputWidth)
    }
    let headOutput = try DeviceBuffer(device: device, count: images * h * w * head.outputs)
    try kernels.pointwise(
      current, weights: head.weights, bias: head.bias, gate: nil, residual: nil, into: headOutput,
      rows: images * h * w,
      depth: head.inputs, outputs: head.outputs, pixels: h * w, activation: head.activation)
    let pooled = try DeviceBuffer(device: device, count: images * head.outputs)
    try kernels.globalAveragePool(
      headOutput, into: pooled, images: images, pixels: h * w, channels: head.outputs)
    var logits: Tensor?
    if let classifier {
      let output = try DeviceBuffer(device: device, count: images * classifier.outputs)
      try kernels.pointwise(
        pooled, weights: classifier.weights, bias: classifier.bias, gate: nil, residual: nil, into: output,
        rows: images, depth: classifier.inputs, outputs: classifier.outputs, pixels: 1, activation: .identity)
      logits = Tensor(shape: [images, classifier.outputs], values: try output.download())
    }
    try device.synchronize()
    let features = Tensor(shape: [images, head.outputs], values: try pooled.download())
    for output in [logits, features].compactMap({ $0 }) {
      guard output.withUnsafeBufferPointer({ Elementwise.allFinite($0) }) else {
        throw ModelError.nonFiniteOutput(layer: "the CUDA engine's output")
      }
    }
    return (logits, features)
  }

  /// The window of a square convolution over `height`×`width` under the model's padding.
  private func window(_ height: Int, _ width: Int, kernel: Int, stride: Int) -> ProjectKernels.Window {
    let geometry = configuration.padding.geometry(
      inputHeight: height, inputWidth: width, kernel: kernel, stride: stride)
    return ProjectKernels.Window(
      height: height, width: width, kernel: kernel, stride: stride, padTop: geometry.padTop,
      padLeft: geometry.padLeft,
      outputHeight: geometry.outputHeight, outputWidth: geometry.outputWidth)
  }
}
