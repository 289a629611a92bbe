import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

extension TrainingPass {
  /// From the gradient of a block's output to the gradient of its input, adding parameter gradients.
  func blockBackward(_ record: BlockRecord, outputGradient: FloatBuffer) -> FloatBuffer {
    let block = record.block
    let name = record.name
    let channels = block.expandedChannels
    let pixels = record.geometry.outputHeight * record.geometry.outputWidth
    let perImage = pixels * block.outputChannels
    // 5. Residual and stochastic depth.
    let projectionGradient = buffer(name + ".d_pwl_out", batch * perImage)
    for image in 0..<batch {
      let scale = record.keepScale?[image] ?? 1
      for index in image * perImage..<(image + 1) * perImage {
        projectionGradient.pointer[index] = outputGradient.pointer[index] * scale
      }
    }
    // 4. Projection.
    let projectionName = name + (block.hasExpansion ? ".conv_pwl" : ".conv_pw")
    let projectedGradient = normalizeBackward(record.projection, outputGradient: projectionGradient)
    let projectionInputGradient = buffer(name + ".d_pwl_in", batch * pixels * channels)
    TrainingOps.pointwiseBackward(
      record.projectionInput.pointer, rows: batch * pixels, inputs: channels,
      weights: parameters.value(projectionName + ".weight").pointer, outputs: block.outputChannels,
      outputGradient: projectedGradient.pointer, inputGradient: projectionInputGradient.pointer,
      weightGradient: parameters.gradient(projectionName + ".weight").pointer, biasGradient: nil, pool: pool)
    // 3. Squeeze-and-excitation.
    var depthwiseOutputGradient = projectionInputGradient
    if let squeeze = record.squeeze {
      let reducedChannels = block.squeezeChannels
      let activated = record.depthwise.output.pointer
      let gateGradient = buffer(name + ".se.d_gate", batch * channels)
      gateGradient.zero()
      let direct = buffer(name + ".se.d_in", batch * pixels * channels)
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
      let reducedGradient = buffer(name + ".se.d_reduced", batch * reducedChannels)
      TrainingOps.pointwiseBackward(
        squeeze.reduced.pointer, rows: batch, inputs: reducedChannels,
        weights: parameters.value(name + ".se.conv_expand.weight").pointer, outputs: channels,
        outputGradient: gateGradient.pointer, inputGradient: reducedGradient.pointer,
        weightGradient: parameters.gradient(name + ".se.conv_expand.weight").pointer,
        biasGradient: parameters.gradient(name + ".se.conv_expand.bias").pointer, pool: pool)
      TrainingOps.activationBackward(
        graph.activation, preActivation: squeeze.reducedPreActivation.pointer,
        outputGradient: reducedGradient.pointer,
        inputGradient: reducedGradient.pointer, count: batch * reducedChannels, pool: pool)
      let pooledGradient = buffer(name + ".se.d_pooled", batch * channels)
      TrainingOps.pointwiseBackward(
        squeeze.pooled.pointer, rows: batch, inputs: channels,
        weights: parameters.value(name + ".se.conv_reduce.weight").pointer, outputs: reducedChannels,
        outputGradient: reducedGradient.pointer, inputGradient: pooledGradient.pointer,
        weightGradient: parameters.gradient(name + ".se.conv_reduce.weight").pointer,
        biasGradient: parameters.gradient(name + ".se.conv_reduce.bias").pointer, pool: pool)
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
    let depthwiseInputGradient = buffer(name + ".dw.d_in", batch * record.inputPixels * channels)
    TrainingOps.depthwiseBackward(
      depthwiseInput.pointer, batch: batch, channels: channels, geometry: record.geometry,
      weights: parameters.value(name + ".conv_dw.weight").pointer, outputGradient: depthwiseGradient.pointer,
      inputGradient: depthwiseInputGradient.pointer,
      weightGradient: parameters.gradient(name + ".conv_dw.weight").pointer, pool: pool)
    // 1. Expansion.
    var inputGradient = depthwiseInputGradient
    if let expansion = record.expansion {
      let expandedGradient = normalizeBackward(expansion, outputGradient: depthwiseInputGradient)
      inputGradient = buffer(name + ".d_in", batch * record.inputPixels * block.inputChannels)
      TrainingOps.pointwiseBackward(
        record.input.pointer, rows: batch * record.inputPixels, inputs: block.inputChannels,
        weights: parameters.value(name + ".conv_pw.weight").pointer, outputs: channels,
        outputGradient: expandedGradient.pointer, inputGradient: inputGradient.pointer,
        weightGradient: parameters.gradient(name + ".conv_pw.weight").pointer, biasGradient: nil, pool: pool)
    }
    // The skip connection passes the output gradient straight through.
    if block.hasResidual {
      for index in 0..<batch * perImage { inputGradient.pointer[index] += outputGradient.pointer[index] }
    }
    return inputGradient
  }
}
