import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels
import Foundation

/// What a block's backward needs from its forward.
struct BlockRecord {
  let block: ResolvedBlock
  let input: FloatBuffer
  let inputPixels: Int
  let geometry: ConvolutionGeometry
  let expansion: NormalizedLayer?
  let depthwise: NormalizedLayer
  let squeeze: SqueezeRecord?
  let projectionInput: FloatBuffer
  let projection: NormalizedLayer
  /// Per-sample stochastic-depth factor (0 or 1/(1−p)); nil when the block has none this step.
  let keepScale: FloatBuffer?
  let output: FloatBuffer
}

/// Squeeze-and-excitation's saved values: pooled means, reduced pre-activation and activation, gate.
struct SqueezeRecord {
  let pooled: FloatBuffer
  let reducedPreActivation: FloatBuffer
  let reduced: FloatBuffer
  let gate: FloatBuffer
}

extension TrainingPass {
  func blockForward(
    _ block: ResolvedBlock, _ layers: BlockHandles, input: FloatBuffer, height: Int, width: Int,
    generator: inout SeededGenerator
  ) -> BlockRecord {
    let channels = block.expandedChannels
    let inputPixels = height * width
    let name = "blocks.\(block.stage).\(block.indexInStage)."
    // 1. Expansion (inverted residual only).
    var expansion: NormalizedLayer?
    var depthwiseInput = input
    if let layer = layers.expansion, let norm = layers.expansionNorm {
      let convolution = buffer(batch * inputPixels * channels)
      timed(
        name + "expand", "1x1 conv forward", macs: batch * inputPixels * block.inputChannels * channels
      ) {
        TrainingOps.pointwiseForward(
          input.pointer, rows: batch * inputPixels, layer: layer, into: convolution.pointer, pool: pool)
      }
      let normalized = timed(name + "expand bn", "batch norm + activation forward") {
        normalizeForward(
          norm, input: convolution, positions: batch * inputPixels, channels: channels,
          activation: graph.activation)
      }
      expansion = normalized
      depthwiseInput = normalized.output
    }
    // 2. Depthwise.
    let g = geometry(height, width, kernel: block.kernelSize, stride: block.stride)
    let pixels = g.outputHeight * g.outputWidth
    let depthwiseOutput = buffer(batch * pixels * channels)
    let depthwiseKind = "depthwise \(block.kernelSize)x\(block.kernelSize) forward"
    let depthwiseMACs = batch * pixels * channels * g.kernelHeight * g.kernelWidth
    timed(name + "depthwise", depthwiseKind, macs: depthwiseMACs) {
      TrainingOps.depthwiseForward(
        depthwiseInput.pointer, batch: batch, geometry: g, layer: layers.depthwise,
        into: depthwiseOutput.pointer, pool: pool)
    }
    let depthwise = timed(name + "depthwise bn", "batch norm + activation forward") {
      normalizeForward(
        layers.depthwiseNorm, input: depthwiseOutput, positions: batch * pixels, channels: channels,
        activation: graph.activation)
    }
    // 3. Squeeze-and-excitation.
    var squeeze: SqueezeRecord?
    var projectionInput = depthwise.output
    if let reduce = layers.squeezeReduce, let expand = layers.squeezeExpand {
      let profileStart = profiler.map { _ in DispatchTime.now().uptimeNanoseconds }
      defer {
        if let profiler, let profileStart {
          profiler.record(name + "se", "squeeze-excitation forward", since: profileStart)
        }
      }
      let reducedChannels = block.squeezeChannels
      let pooled = buffer(batch * channels)
      Pooling.globalAveragePool(
        input: depthwise.output.readable, batch: batch, pixels: pixels, channels: channels,
        output: pooled.buffer,
        pool: pool)
      let reducedPre = buffer(batch * reducedChannels)
      TrainingOps.pointwiseForward(
        pooled.pointer, rows: batch, layer: reduce, into: reducedPre.pointer, pool: pool)
      let reduced = buffer(batch * reducedChannels)
      reduced.pointer.update(from: reducedPre.pointer, count: batch * reducedChannels)
      Elementwise.applyActivation(graph.activation, to: reduced.buffer, pool: pool)
      let gate = buffer(batch * channels)
      TrainingOps.pointwiseForward(
        reduced.pointer, rows: batch, layer: expand, activation: .sigmoid, into: gate.pointer, pool: pool)
      let scaled = buffer(batch * pixels * channels)
      Elementwise.scaleChannels(
        of: depthwise.output.readable, into: scaled.buffer, batch: batch, pixels: pixels, channels: channels,
        scales: gate.readable, pool: pool)
      squeeze = SqueezeRecord(pooled: pooled, reducedPreActivation: reducedPre, reduced: reduced, gate: gate)
      projectionInput = scaled
    }
    // 4. Projection + batch norm (no activation).
    let projected = buffer(batch * pixels * block.outputChannels)
    timed(name + "project", "1x1 conv forward", macs: batch * pixels * channels * block.outputChannels) {
      TrainingOps.pointwiseForward(
        projectionInput.pointer, rows: batch * pixels, layer: layers.projection, into: projected.pointer,
        pool: pool)
    }
    let projection = timed(name + "project bn", "batch norm + activation forward") {
      normalizeForward(
        layers.projectionNorm, input: projected, positions: batch * pixels, channels: block.outputChannels,
        activation: .identity)
    }
    // 5. Stochastic depth and the residual.
    // Without a residual the block's output is the projection's (nothing writes over either).
    var output = projection.output
    var keepScale: FloatBuffer?
    let perImage = pixels * block.outputChannels
    if block.hasResidual {
      output = buffer(batch * perImage)
      let rate = graph.regularization ? block.dropConnectRate : 0
      let scales = buffer(batch)
      scales.buffer.update(repeating: 1)
      if rate > 0 {
        for image in 0..<batch {
          scales.pointer[image] =
            Double.random(in: 0..<1, using: &generator) >= rate ? Float(1 / (1 - rate)) : 0
        }
        keepScale = scales
      }
      timed(name + "residual", "residual + drop path") {
        Elementwise.scaleImages(
          projection.output.readable, perImage: perImage, scales: scales.readable, adding: input.readable,
          into: output.buffer, pool: pool)
      }
    }
    return BlockRecord(
      block: block, input: input, inputPixels: inputPixels, geometry: g, expansion: expansion,
      depthwise: depthwise,
      squeeze: squeeze, projectionInput: projectionInput, projection: projection, keepScale: keepScale,
      output: output)
  }
}
