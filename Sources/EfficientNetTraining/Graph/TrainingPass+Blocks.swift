import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

/// What a block's backward needs from its forward.
struct BlockRecord {
  let block: ResolvedBlock
  let name: String
  let input: FloatBuffer
  let inputPixels: Int
  let geometry: ConvolutionGeometry
  let expansion: NormalizedLayer?
  let depthwise: NormalizedLayer
  let squeeze: SqueezeRecord?
  let projectionInput: FloatBuffer
  let projection: NormalizedLayer
  /// Per-sample stochastic-depth factor (0 or 1/(1−p)); nil when the block has none.
  let keepScale: [Float]?
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
    _ block: ResolvedBlock, input: FloatBuffer, height: Int, width: Int, generator: inout SeededGenerator
  ) -> BlockRecord {
    let name = "blocks.\(block.stage).\(block.indexInStage)"
    let channels = block.expandedChannels
    let inputPixels = height * width
    // 1. Expansion (inverted residual only).
    var expansion: NormalizedLayer?
    var depthwiseInput = input
    if block.hasExpansion {
      let convolution = buffer(name + ".pw.conv", batch * inputPixels * channels)
      TrainingOps.pointwiseForward(
        input.pointer, rows: batch * inputPixels, inputs: block.inputChannels,
        weights: parameters.value(name + ".conv_pw.weight").pointer, outputs: channels, bias: nil,
        into: convolution.pointer, pool: pool)
      let layer = normalizeForward(
        name + ".pw", batchNorm: name + ".bn1", input: convolution, positions: batch * inputPixels,
        channels: channels, activation: graph.activation)
      expansion = layer
      depthwiseInput = layer.output
    }
    // 2. Depthwise.
    let g = geometry(height, width, kernel: block.kernelSize, stride: block.stride)
    let pixels = g.outputHeight * g.outputWidth
    let depthwiseOutput = buffer(name + ".dw.conv", batch * pixels * channels)
    TrainingOps.depthwiseForward(
      depthwiseInput.pointer, batch: batch, channels: channels, geometry: g,
      weights: parameters.value(name + ".conv_dw.weight").pointer, into: depthwiseOutput.pointer, pool: pool)
    let depthwise = normalizeForward(
      name + ".dw", batchNorm: name + (block.hasExpansion ? ".bn2" : ".bn1"), input: depthwiseOutput,
      positions: batch * pixels, channels: channels, activation: graph.activation)
    // 3. Squeeze-and-excitation.
    var squeeze: SqueezeRecord?
    var projectionInput = depthwise.output
    if block.hasSqueezeExcitation {
      let reducedChannels = block.squeezeChannels
      let pooled = buffer(name + ".se.pooled", batch * channels)
      Pooling.globalAveragePool(
        input: depthwise.output.readable, batch: batch, pixels: pixels, channels: channels,
        output: pooled.buffer,
        pool: pool)
      let reducedPre = buffer(name + ".se.reduced_pre", batch * reducedChannels)
      TrainingOps.pointwiseForward(
        pooled.pointer, rows: batch, inputs: channels,
        weights: parameters.value(name + ".se.conv_reduce.weight").pointer,
        outputs: reducedChannels, bias: parameters.value(name + ".se.conv_reduce.bias").pointer,
        into: reducedPre.pointer, pool: pool)
      let reduced = buffer(name + ".se.reduced", batch * reducedChannels)
      reduced.pointer.update(from: reducedPre.pointer, count: batch * reducedChannels)
      Elementwise.applyActivation(graph.activation, to: reduced.buffer, pool: pool)
      let gate = buffer(name + ".se.gate", batch * channels)
      TrainingOps.pointwiseForward(
        reduced.pointer, rows: batch, inputs: reducedChannels,
        weights: parameters.value(name + ".se.conv_expand.weight").pointer, outputs: channels,
        bias: parameters.value(name + ".se.conv_expand.bias").pointer, activation: .sigmoid,
        into: gate.pointer,
        pool: pool)
      let scaled = buffer(name + ".se.out", batch * pixels * channels)
      for image in 0..<batch {
        for p in 0..<pixels {
          let offset = (image * pixels + p) * channels
          for c in 0..<channels {
            scaled.pointer[offset + c] =
              depthwise.output.pointer[offset + c] * gate.pointer[image * channels + c]
          }
        }
      }
      squeeze = SqueezeRecord(pooled: pooled, reducedPreActivation: reducedPre, reduced: reduced, gate: gate)
      projectionInput = scaled
    }
    // 4. Projection + batch norm (no activation).
    let projectionName = name + (block.hasExpansion ? ".conv_pwl" : ".conv_pw")
    let projectionNorm = name + (block.hasExpansion ? ".bn3" : ".bn2")
    let projected = buffer(name + ".pwl.conv", batch * pixels * block.outputChannels)
    TrainingOps.pointwiseForward(
      projectionInput.pointer, rows: batch * pixels, inputs: channels,
      weights: parameters.value(projectionName + ".weight").pointer, outputs: block.outputChannels, bias: nil,
      into: projected.pointer, pool: pool)
    let projection = normalizeForward(
      name + ".pwl", batchNorm: projectionNorm, input: projected, positions: batch * pixels,
      channels: block.outputChannels, activation: .identity)
    // 5. Stochastic depth and the residual.
    let output = buffer(name + ".out", batch * pixels * block.outputChannels)
    var keepScale: [Float]?
    let perImage = pixels * block.outputChannels
    if block.hasResidual {
      let rate = graph.regularization ? block.dropConnectRate : 0
      var scales = [Float](repeating: 1, count: batch)
      if rate > 0 {
        for image in 0..<batch {
          scales[image] = Double.random(in: 0..<1, using: &generator) >= rate ? Float(1 / (1 - rate)) : 0
        }
        keepScale = scales
      }
      for image in 0..<batch {
        for index in image * perImage..<(image + 1) * perImage {
          output.pointer[index] = projection.output.pointer[index] * scales[image] + input.pointer[index]
        }
      }
    } else {
      output.pointer.update(from: projection.output.pointer, count: batch * perImage)
    }
    return BlockRecord(
      block: block, name: name, input: input, inputPixels: inputPixels, geometry: g, expansion: expansion,
      depthwise: depthwise, squeeze: squeeze, projectionInput: projectionInput, projection: projection,
      keepScale: keepScale, output: output)
  }
}
