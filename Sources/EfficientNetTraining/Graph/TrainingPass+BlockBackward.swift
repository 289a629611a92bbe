import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

extension TrainingPass {
  /// From the gradient of a block's output to the gradient of its input, adding parameter gradients:
  /// the forward's steps in reverse, 5 → 1.
  func blockBackward(_ record: BlockRecord, _ layers: TrainingBlock, outputGradient: FloatBuffer)
    -> FloatBuffer
  {
    let block = layers.block
    let channels = block.expandedChannels
    let pixels = record.geometry.outputHeight * record.geometry.outputWidth
    let blockName = layers.layout.names[.timm]!.module
    // 5. Residual and stochastic depth.
    let projectionGradient = buffer(batch * pixels * block.outputChannels)
    timer.measure(blockName, "residual + drop path backward") {
      record.dropPath.backward(
        outputGradient, keep: record.keep, batch: batch, into: projectionGradient, pool: pool)
    }
    // 4. Projection.
    let projectionLayer = layers.projection
    let projectedGradient = normalizeBackward(
      projectionLayer, record.projection, outputGradient: projectionGradient)
    let projectionInputGradient = buffer(batch * pixels * channels)
    timer.measure(
      names(projectionLayer.layer).module, "1x1 conv backward",
      macs: 2 * batch * pixels * projectionLayer.layer.multiplyAccumulatesPerPosition
    ) {
      projectionLayer.convolution.backward(
        input: record.projectionInput.pointer, rows: batch * pixels,
        outputGradient: projectedGradient.pointer,
        inputGradient: projectionInputGradient.pointer, pool: pool)
    }
    // 3. Squeeze-and-excitation.
    var depthwiseOutputGradient = projectionInputGradient
    if let squeezeExcitation = record.squeezeExcitation, let layer = layers.squeezeExcitation {
      depthwiseOutputGradient = timer.measure(
        layers.layout.names[.timm]!.squeezeExcitation!, "squeeze-excitation backward"
      ) {
        layer.backward(
          squeezeExcitation, outputGradient: projectionInputGradient, activation: graph.activation,
          workspace: workspace, pool: pool)
      }
    }
    // 2. Depthwise.
    let depthwiseLayer = layers.depthwise
    let depthwiseGradient = normalizeBackward(
      depthwiseLayer, record.depthwise, outputGradient: depthwiseOutputGradient)
    let depthwiseInput = record.expansion?.output ?? record.input
    let depthwiseInputGradient = buffer(batch * record.inputPixels * channels)
    timer.measure(
      names(depthwiseLayer.layer).module, "depthwise \(block.kernelSize)x\(block.kernelSize) backward",
      macs: 2 * batch * pixels * depthwiseLayer.layer.multiplyAccumulatesPerPosition
    ) {
      depthwiseLayer.convolution.backward(
        input: depthwiseInput.pointer, batch: batch, geometry: record.geometry,
        outputGradient: depthwiseGradient.pointer, inputGradient: depthwiseInputGradient.pointer, pool: pool)
    }
    // 1. Expansion.
    var inputGradient = depthwiseInputGradient
    if let expansion = record.expansion, let layer = layers.expansion {
      let expandedGradient = normalizeBackward(layer, expansion, outputGradient: depthwiseInputGradient)
      inputGradient = buffer(batch * record.inputPixels * block.inputChannels)
      timer.measure(
        names(layer.layer).module, "1x1 conv backward",
        macs: 2 * batch * record.inputPixels * layer.layer.multiplyAccumulatesPerPosition
      ) {
        layer.convolution.backward(
          input: record.input.pointer, rows: batch * record.inputPixels,
          outputGradient: expandedGradient.pointer,
          inputGradient: inputGradient.pointer, pool: pool)
      }
    }
    // The skip connection passes the output gradient straight through.
    if block.hasResidual {
      timer.measure(blockName, "residual + drop path backward") {
        Elementwise.add(outputGradient.readable, into: inputGradient.buffer, pool: pool)
      }
    }
    return inputGradient
  }
}
