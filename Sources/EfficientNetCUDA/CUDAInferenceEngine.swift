import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

/// EfficientNet inference on an NVIDIA GPU with the project's own kernels: the network's layout read
/// as the CPU engine reads it, batch norm folded on the host (`EfficientNet.folded`), weights
/// uploaded once, activations NHWC on the device, one kernel per layer with its activation, the
/// squeeze-and-excitation gate and the residual fused into the projection.
///
/// The 1×1 convolutions and the classifier go through cuBLAS when it loads (`cublasGemmEx`, strict
/// fp32 unless ``CUBLAS/computeType`` says otherwise) with the bias, activation and residual in one
/// epilogue kernel; without it, through the project's own pointwise kernel. First form, for
/// correctness: no cuDNN yet, nothing timed on a GPU yet. The tests run
/// the kernels' own source on the CPU through the stub driver (and a stub cuBLAS) and compare the
/// logits with the CPU engine's.
public final class CUDAInferenceEngine {
  /// The GPU the engine runs on.
  public let device: CUDADevice
  let kernels: ProjectKernels
  /// cuBLAS, when it loaded; nil runs the 1×1 convolutions on the project's own kernel.
  public let cublas: CUBLAS?
  /// Why cuBLAS is not used, when it is not.
  public let cublasNote: String?
  let configuration: Configuration
  let stem: DeviceLayer
  let blocks: [DeviceBlock]
  let head: DeviceLayer
  let classifier: DeviceLayer?
  private let workspace: DeviceWorkspace

  /// One layer's weights and bias on the device, with its shape and activation.
  struct DeviceLayer {
    let weights: DeviceBuffer, bias: DeviceBuffer
    let inputs: Int, outputs: Int, kernel: Int, stride: Int
    let activation: Activation
  }

  /// One block's layers on the device.
  struct DeviceBlock {
    let block: ResolvedBlock
    let expansion: DeviceLayer?
    let depthwise: DeviceLayer
    let squeezeExcitation: (reduce: DeviceLayer, expand: DeviceLayer)?
    let projection: DeviceLayer
  }

  /// Folds and uploads `model`'s weights onto `device`; `cublasLibrary` nil (or a cuBLAS that does
  /// not load) runs the 1×1 convolutions on the project's own kernel.
  public init(model: EfficientNet, device: CUDADevice, cublasLibrary: String? = CUBLAS.defaultLibrary) throws
  {
    self.device = device
    kernels = try ProjectKernels(device: device)
    do {
      cublas = try cublasLibrary.map { try CUBLAS(device: device, path: $0) }
      cublasNote = cublasLibrary == nil ? "cuBLAS not asked for" : nil
    } catch {
      cublas = nil
      cublasNote = "\(error)"
    }
    configuration = model.configuration
    func upload(_ layer: NetworkLayer, linear: Bool = false) throws -> DeviceLayer {
      let (weights, bias) =
        layer.isNormalized
        ? model.folded(layer)
        : (
          model.tensor(linear ? .linearWeight : .convolutionWeight, of: layer).scalars,
          model.tensor(.bias, of: layer).scalars
        )
      return DeviceLayer(
        weights: try DeviceBuffer(device: device, copying: weights),
        bias: try DeviceBuffer(device: device, copying: bias),
        inputs: layer.inputChannels, outputs: layer.outputChannels, kernel: layer.kernelSize,
        stride: layer.stride,
        activation: layer.activation.kernelActivation(model: model.configuration.activation))
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
    workspace = DeviceWorkspace(device: device)
  }

  /// The logits `[N, classes]` (nil for a headless model) and pooled features `[N, F]` of an NHWC
  /// input `[N, H, W, C]`, the same numbers as ``InferenceEngine`` gives within float rounding.
  /// Buffers are kept from call to call (an engine is for one thread at a time).
  public func evaluate(_ input: Tensor) throws -> (logits: Tensor?, pooled: Tensor) {
    precondition(
      input.shape.count == 4 && input.shape[3] == configuration.inputChannels, "NHWC input expected")
    guard input.withUnsafeBufferPointer({ Elementwise.allFinite($0) }) else {
      throw ModelError.nonFiniteInput
    }
    let (images, height, width) = (input.shape[0], input.shape[1], input.shape[2])
    var current = try workspace.buffer(.input, count: input.count)
    try current.upload(input.scalars)
    var window = self.window(height, width, kernel: stem.kernel, stride: stem.stride)
    var side = 0  // which of the two activation buffers the next output goes to
    var next = try workspace.buffer(
      .activation(side), count: images * window.outputHeight * window.outputWidth * stem.outputs)
    try kernels.convolution(
      current, weights: stem.weights, bias: stem.bias, into: next, images: images, inputChannels: stem.inputs,
      outputChannels: stem.outputs, window: window, activation: stem.activation)
    current = next
    var (h, w) = (window.outputHeight, window.outputWidth)
    for layers in blocks {
      let block = layers.block
      var depthwiseInput = current
      if let expansion = layers.expansion {
        depthwiseInput = try workspace.buffer(.expanded, count: images * h * w * expansion.outputs)
        try pointwise(
          current, expansion, gate: nil, residual: nil, into: depthwiseInput, rows: images * h * w,
          pixels: h * w)
      }
      window = self.window(h, w, kernel: block.kernelSize, stride: block.stride)
      let pixels = window.outputHeight * window.outputWidth
      let channels = block.expandedChannels
      let depthwiseOutput = try workspace.buffer(.depthwise, count: images * pixels * channels)
      try kernels.depthwise(
        depthwiseInput, weights: layers.depthwise.weights, bias: layers.depthwise.bias, into: depthwiseOutput,
        images: images, channels: channels, window: window, activation: layers.depthwise.activation)
      var gate: DeviceBuffer?
      if let (reduce, expand) = layers.squeezeExcitation {
        let means = try workspace.buffer(.means, count: images * channels)
        try kernels.globalAveragePool(
          depthwiseOutput, into: means, images: images, pixels: pixels, channels: channels)
        let reduced = try workspace.buffer(.reduced, count: images * reduce.outputs)
        try kernels.pointwise(
          means, weights: reduce.weights, bias: reduce.bias, gate: nil, residual: nil, into: reduced,
          rows: images,
          depth: channels, outputs: reduce.outputs, pixels: 1, activation: reduce.activation)
        let expanded = try workspace.buffer(.gate, count: images * channels)
        try kernels.pointwise(
          reduced, weights: expand.weights, bias: expand.bias, gate: nil, residual: nil, into: expanded,
          rows: images,
          depth: reduce.outputs, outputs: channels, pixels: 1, activation: expand.activation)
        gate = expanded
      }
      side = 1 - side
      next = try workspace.buffer(.activation(side), count: images * pixels * block.outputChannels)
      try pointwise(
        depthwiseOutput, layers.projection, gate: gate, residual: block.hasResidual ? current : nil,
        into: next,
        rows: images * pixels, pixels: pixels)
      current = next
      (h, w) = (window.outputHeight, window.outputWidth)
    }
    let headOutput = try workspace.buffer(.head, count: images * h * w * head.outputs)
    try pointwise(
      current, head, gate: nil, residual: nil, into: headOutput, rows: images * h * w, pixels: h * w)
    let pooled = try workspace.buffer(.pooled, count: images * head.outputs)
    try kernels.globalAveragePool(
      headOutput, into: pooled, images: images, pixels: h * w, channels: head.outputs)
    var logits: Tensor?
    if let classifier {
      let output = try workspace.buffer(.logits, count: images * classifier.outputs)
      try pointwise(pooled, classifier, gate: nil, residual: nil, into: output, rows: images, pixels: 1)
      logits = Tensor(
        shape: [images, classifier.outputs], values: try output.download(prefix: images * classifier.outputs))
    }
    try device.synchronize()
    let features = Tensor(
      shape: [images, head.outputs], values: try pooled.download(prefix: images * head.outputs))
    for output in [logits, features].compactMap({ $0 }) {
      guard output.withUnsafeBufferPointer({ Elementwise.allFinite($0) }) else {
        throw ModelError.nonFiniteOutput(layer: "the CUDA engine's output")
      }
    }
    return (logits, features)
  }

  /// A 1×1 layer over `rows` rows of `pixels` per image: cuBLAS and the epilogue kernel (the gate
  /// scaling the input first, in place), or the project's pointwise kernel.
  private func pointwise(
    _ input: DeviceBuffer, _ layer: DeviceLayer, gate: DeviceBuffer?, residual: DeviceBuffer?,
    into output: DeviceBuffer, rows: Int, pixels: Int
  ) throws {
    guard let cublas else {
      return try kernels.pointwise(
        input, weights: layer.weights, bias: layer.bias, gate: gate, residual: residual, into: output,
        rows: rows,
        depth: layer.inputs, outputs: layer.outputs, pixels: pixels, activation: layer.activation)
    }
    if let gate {
      try kernels.scaleChannels(
        input, gate: gate, images: rows / pixels, pixels: pixels, channels: layer.inputs)
    }
    try cublas.multiply(
      input: input, weights: layer.weights, output: output, rows: rows, depth: layer.inputs,
      outputs: layer.outputs)
    try kernels.biasActivation(
      output, bias: layer.bias, residual: residual, rows: rows, outputs: layer.outputs,
      activation: layer.activation)
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
