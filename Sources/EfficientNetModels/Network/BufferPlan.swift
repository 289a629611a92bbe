import EfficientNetKernels

/// The activation buffers and layer geometries for one input shape, allocated once and reused by
/// every evaluation of that shape.
struct BufferPlan {
  let batch: Int, height: Int, width: Int
  let stemGeometry: ConvolutionGeometry
  /// Per block: the depthwise geometry (its input is the block's input size).
  let blockGeometries: [ConvolutionGeometry]
  /// Two buffers that block inputs and outputs alternate between.
  let activations: (FixedBuffer, FixedBuffer)
  /// The expanded activation and the depthwise output.
  let expanded: FixedBuffer, depthwise: FixedBuffer
  /// Per-image channel sums (SE pooling) and the SE gate.
  let channelSums: FixedBuffer, gate: FixedBuffer
  /// Pooled head features and logits.
  let pooled: FixedBuffer, logits: FixedBuffer

  func matches(batch: Int, height: Int, width: Int) -> Bool {
    self.batch == batch && self.height == height && self.width == width
  }

  init(engine: InferenceEngine, batch: Int, height: Int, width: Int) {
    self.batch = batch
    self.height = height
    self.width = width
    let padding = engine.architecture.configuration.padding
    func geometry(_ h: Int, _ w: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
      padding.geometry(inputHeight: h, inputWidth: w, kernel: kernel, stride: stride)
    }
    stemGeometry = geometry(height, width, kernel: 3, stride: 2)
    var h = stemGeometry.outputHeight
    var w = stemGeometry.outputWidth
    var maxActivation = h * w * engine.stem.outputChannels
    var maxExpanded = 1
    var maxDepthwise = 1
    var maxChannels = 1
    var geometries: [ConvolutionGeometry] = []
    for compiled in engine.blocks {
      let block = compiled.block
      let g = geometry(h, w, kernel: block.kernelSize, stride: block.stride)
      geometries.append(g)
      maxExpanded = max(maxExpanded, h * w * block.expandedChannels)
      h = g.outputHeight
      w = g.outputWidth
      maxDepthwise = max(maxDepthwise, h * w * block.expandedChannels)
      maxActivation = max(maxActivation, h * w * block.outputChannels)
      maxChannels = max(maxChannels, block.expandedChannels)
    }
    // The head's output reuses the expanded buffer.
    maxExpanded = max(maxExpanded, h * w * engine.head.outputCount)
    blockGeometries = geometries
    activations = (FixedBuffer(count: batch * maxActivation), FixedBuffer(count: batch * maxActivation))
    expanded = FixedBuffer(count: batch * maxExpanded)
    depthwise = FixedBuffer(count: batch * maxDepthwise)
    channelSums = FixedBuffer(count: batch * maxChannels)
    gate = FixedBuffer(count: batch * maxChannels)
    pooled = FixedBuffer(count: batch * engine.head.outputCount)
    logits = FixedBuffer(count: batch * (engine.classifier?.outputCount ?? 1))
  }
}
