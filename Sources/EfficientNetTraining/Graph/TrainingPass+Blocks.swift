import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// What a block's backward needs from its forward.
struct BlockRecord {
  let input: FloatBuffer
  let inputPixels: Int
  let geometry: ConvolutionGeometry
  let expansion: BatchNormRecord?
  let depthwise: BatchNormRecord
  let squeezeExcitation: SqueezeExcitationRecord?
  let projectionInput: FloatBuffer
  let projection: BatchNormRecord
  /// The block's stochastic depth this step, and its per-image mask (nil when it has none).
  let dropPath: DropPathLayer
  let keep: FloatBuffer?
  let output: FloatBuffer
}

extension TrainingPass {
  /// A block's forward: 1 expansion, 2 depthwise, 3 squeeze-and-excitation, 4 projection,
  /// 5 stochastic depth and the residual (the backward runs 5 → 1).
  func blockForward(
    _ layers: TrainingBlock, input: FloatBuffer, height: Int, width: Int, generator: inout SeededGenerator
  ) -> BlockRecord {
    let block = layers.block
    let channels = block.expandedChannels
    let inputPixels = height * width
    let activation = graph.activation
    // 1. Expansion (inverted residual only).
    var expansion: BatchNormRecord?
    var depthwiseInput = input
    if let layer = layers.expansion {
      let convolution = buffer(batch * inputPixels * channels)
      let macs = batch * inputPixels * layer.layer.multiplyAccumulatesPerPosition
      timer.measure(names(layer.layer).module, "1x1 conv forward", macs: macs) {
        layer.convolution.forward(
          input: input.pointer, rows: batch * inputPixels, output: convolution.pointer, pool: pool)
      }
      let normalized = normalizeForward(
        layer, input: convolution, positions: batch * inputPixels, activation: activation)
      expansion = normalized
      depthwiseInput = normalized.output
    }
    // 2. Depthwise.
    let depthwiseLayer = layers.depthwise
    let g = geometry(height, width, kernel: block.kernelSize, stride: block.stride)
    let pixels = g.outputHeight * g.outputWidth
    let depthwiseOutput = buffer(batch * pixels * channels)
    timer.measure(
      names(depthwiseLayer.layer).module, "depthwise \(block.kernelSize)x\(block.kernelSize) forward",
      macs: batch * pixels * depthwiseLayer.layer.multiplyAccumulatesPerPosition
    ) {
      depthwiseLayer.convolution.forward(
        input: depthwiseInput.read(batch * inputPixels * channels), batch: batch, geometry: g,
        activation: .identity, output: depthwiseOutput.buffer, pool: pool)
    }
    let depthwise = normalizeForward(
      depthwiseLayer, input: depthwiseOutput, positions: batch * pixels, activation: activation)
    // 3. Squeeze-and-excitation.
    var squeezeExcitation: SqueezeExcitationRecord?
    var projectionInput = depthwise.output
    if let layer = layers.squeezeExcitation {
      let record = timer.measure(layers.layout.names[.timm]!.squeezeExcitation!, "squeeze-excitation forward")
      {
        layer.forward(
          depthwise.output, batch: batch, pixels: pixels, activation: activation, workspace: workspace,
          pool: pool)
      }
      squeezeExcitation = record
      projectionInput = record.output
    }
    // 4. Projection + batch norm (no activation).
    let projectionLayer = layers.projection
    let projected = buffer(batch * pixels * block.outputChannels)
    timer.measure(
      names(projectionLayer.layer).module, "1x1 conv forward",
      macs: batch * pixels * projectionLayer.layer.multiplyAccumulatesPerPosition
    ) {
      projectionLayer.convolution.forward(
        input: projectionInput.pointer, rows: batch * pixels, output: projected.pointer, pool: pool)
    }
    let projection = normalizeForward(
      projectionLayer, input: projected, positions: batch * pixels, activation: .identity)
    // 5. Stochastic depth and the residual.
    // Without a residual the block's output is the projection's (nothing writes over either).
    var output = projection.output
    var keep: FloatBuffer?
    let dropPath = DropPathLayer(rate: block.hasResidual && graph.regularization ? block.dropConnectRate : 0)
    if block.hasResidual {
      output = buffer(batch * pixels * block.outputChannels)
      keep = timer.measure(layers.layout.names[.timm]!.module, "residual + drop path") {
        dropPath.forward(
          branch: projection.output, skip: input, batch: batch, output: output, generator: &generator,
          workspace: workspace, pool: pool)
      }
    }
    return BlockRecord(
      input: input, inputPixels: inputPixels, geometry: g, expansion: expansion, depthwise: depthwise,
      squeezeExcitation: squeezeExcitation, projectionInput: projectionInput, projection: projection,
      dropPath: dropPath, keep: keep, output: output)
  }
}
