import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

extension TrainingPass {
  /// From the gradient of a block's output to the gradient of its input, adding parameter gradients.
  func blockBackward(_ record: BlockRecord, _ layers: BlockHandles, outputGradient: FloatBuffer)
    -> FloatBuffer
  {
    let block = record.block
    let channels = block.expandedChannels
    let pixels = record.geometry.outputHeight * record.geometry.outputWidth
    let perImage = pixels * block.outputChannels
    // 5. Residual and stochastic depth.
    let projectionGradient = buffer(batch * perImage)
    for image in 0..<batch {
      let scale = record.keepScale?.pointer[image] ?? 1
      for index in image * perImage..<(image + 1) * perImage {
        projectionGradient.pointer[index] = outputGradient.pointer[index] * scale
      }
    }
    // 4. Projection.
    let projectedGradient = normalizeBackward(record.projection, outputGradient: projectionGradient)
    let projectionInputGradient = buffer(batch * pixels * channels)
    TrainingOps.pointwiseBackward(
      record.projectionInput.pointer, rows: batch * pixels, layer: layers.projection,
      outputGradient: projectedGradient.pointer, inputGradient: projectionInputGradient.pointer, pool: pool)
    // 3. Squeeze-and-excitation.
    var depthwiseOutputGradient = projectionInputGradient
    if let squeeze = record.squeeze, let reduce = layers.squeezeReduce, let expand = layers.squeezeExpand {
      let reducedChannels = block.squeezeChannels
      let activated = record.depthwise.output.pointer
      let gateGradient = buffer(batch * channels)
      gateGradient.zero()
      let direct = buffer(batch * pixels * channels)
      for image in 0..<batch {
        for p in 0..<pixels {
          let offset = (image * pixels + p) * channels
          for c in 0..<channels {
            let g = projectionInputGradient.pointer[offset + c]
            direct.pointer[offset + c] = g * squeeze.gate.pointer[image * channels + c]
            gateGradient.pointer[image * channels + c] += g * activated[offset + c]
          }
        }
      }
      // Through the sigmoid: dz = dgate · gate · (1 − gate).
      for index in 0..<batch * channels {
        let gate = squeeze.gate.pointer[index]
        gateGradient.pointer[index] *= gate * (1 - gate)
      }
      let reducedGradient = buffer(batch * reducedChannels)
      TrainingOps.pointwiseBackward(
        squeeze.reduced.pointer, rows: batch, layer: expand, outputGradient: gateGradient.pointer,
        inputGradient: reducedGradient.pointer, pool: pool)
      TrainingOps.activationBackward(
        graph.activation, preActivation: squeeze.reducedPreActivation.pointer,
        outputGradient: reducedGradient.pointer,
        inputGradient: reducedGradient.pointer, count: batch * reducedChannels, pool: pool)
      let pooledGradient = buffer(batch * channels)
      TrainingOps.pointwiseBackward(
        squeeze.pooled.pointer, rows: batch, layer: reduce, outputGradient: reducedGradient.pointer,
        inputGradient: pooledGradient.pointer, pool: pool)
      // Through the average pool: every pixel gets dpooled / P.
      let inverse = 1 / Float(pixels)
      for image in 0..<batch {
        for p in 0..<pixels {
          let offset = (image * pixels + p) * channels
          for c in 0..<channels {
            direct.pointer[offset + c] += pooledGradient.pointer[image * channels + c] * inverse
          }
        }
      }
      depthwiseOutputGradient = direct
    }
    // 2. Depthwise.
    let depthwiseGradient = normalizeBackward(record.depthwise, outputGradient: depthwiseOutputGradient)
    let depthwiseInput = record.expansion?.output ?? record.input
    let depthwiseInputGradient = buffer(batch * record.inputPixels * channels)
    TrainingOps.depthwiseBackward(
      depthwiseInput.pointer, batch: batch, geometry: record.geometry, layer: layers.depthwise,
      outputGradient: depthwiseGradient.pointer, inputGradient: depthwiseInputGradient.pointer, pool: pool)
    // 1. Expansion.
    var inputGradient = depthwiseInputGradient
    if let expansion = record.expansion, let layer = layers.expansion {
      let expandedGradient = normalizeBackward(expansion, outputGradient: depthwiseInputGradient)
      inputGradient = buffer(batch * record.inputPixels * block.inputChannels)
      TrainingOps.pointwiseBackward(
        record.input.pointer, rows: batch * record.inputPixels, layer: layer,
        outputGradient: expandedGradient.pointer,
        inputGradient: inputGradient.pointer, pool: pool)
    }
    // The skip connection passes the output gradient straight through.
    if block.hasResidual {
      for index in 0..<batch * perImage { inputGradient.pointer[index] += outputGradient.pointer[index] }
    }
    return inputGradient
  }
}
