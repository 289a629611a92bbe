import EfficientNetCore
import EfficientNetKernels

/// The activation buffers and layer geometries for one input shape, allocated once and reused by
/// every evaluation of that shape.
struct BufferPlan {
  let batch: Int, height: Int, width: Int
  let stemGeometry: ConvolutionGeometry
  /// Per block: the depthwise geometry (its input is the block's input size).
  let blockGeometries: [ConvolutionGeometry]
  /// Two buffers that block inputs and outputs alternate between.
  let activations: (FloatBuffer, FloatBuffer)
  /// The expanded activation and the depthwise output of one image (blocks run image by image).
  let expanded: FloatBuffer, depthwise: FloatBuffer
  /// Per block: whether its expansion and depthwise convolution run fused (band by band, the
  /// expanded tensor never whole in memory), and the scratch those blocks share.
  let fused: [Bool]
  let fusedScratch: FloatBuffer
  /// One image's channel sums (SE pooling) and SE gate.
  let channelSums: FloatBuffer, gate: FloatBuffer
  /// Pooled head features and logits.
  let pooled: FloatBuffer, logits: FloatBuffer

  /// The thread count and fusion threshold the plan was made for (both shape the fused scratch).
  let threadCount: Int, fusionMinimumBytes: Int

  func matches(batch: Int, height: Int, width: Int, threadCount: Int, fusionMinimumBytes: Int) -> Bool {
    self.batch == batch && self.height == height && self.width == width && self.threadCount == threadCount
      && self.fusionMinimumBytes == fusionMinimumBytes
  }

  init(engine: InferenceEngine, batch: Int, height: Int, width: Int) {
    self.batch = batch
    self.height = height
    self.width = width
    threadCount = engine.pool.threadCount
    fusionMinimumBytes = engine.fusionMinimumBytes
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
    var fused: [Bool] = []
    var maxScratch = 1
    for layers in engine.blocks {
      let block = layers.block
      let g = geometry(h, w, kernel: block.kernelSize, stride: block.stride)
      geometries.append(g)
      let expandedBytes = h * w * block.expandedChannels * MemoryLayout<Float>.size
      let fuse =
        layers.expansion != nil && expandedBytes >= engine.fusionMinimumBytes
        && !DepthwiseConvolution.usesPaddedSlices(geometry: g, channels: block.expandedChannels)
      fused.append(fuse)
      if fuse {
        let tasks = DepthwiseConvolution.fusedTaskCount(batch: 1, geometry: g, pool: engine.pool)
        let perTask = DepthwiseConvolution.fusedScratchPerTask(geometry: g, channels: block.expandedChannels)
        maxScratch = max(maxScratch, tasks * perTask)
      } else {
        maxExpanded = max(maxExpanded, h * w * block.expandedChannels)
      }
      h = g.outputHeight
      w = g.outputWidth
      maxDepthwise = max(maxDepthwise, h * w * block.expandedChannels)
      maxActivation = max(maxActivation, h * w * block.outputChannels)
      maxChannels = max(maxChannels, block.expandedChannels)
    }
    // Blocks run image by image, so their buffers hold one image; the head's output (the whole batch)
    // reuses the expanded buffer.
    maxExpanded = max(maxExpanded, batch * h * w * engine.head.outputCount)
    blockGeometries = geometries
    self.fused = fused
    fusedScratch = FloatBuffer(count: maxScratch)
    activations = (FloatBuffer(count: batch * maxActivation), FloatBuffer(count: batch * maxActivation))
    expanded = FloatBuffer(count: maxExpanded)
    depthwise = FloatBuffer(count: maxDepthwise)
    channelSums = FloatBuffer(count: maxChannels)
    gate = FloatBuffer(count: maxChannels)
    pooled = FloatBuffer(count: batch * engine.head.outputCount)
    logits = FloatBuffer(count: batch * (engine.classifier?.outputCount ?? 1))
  }
}
