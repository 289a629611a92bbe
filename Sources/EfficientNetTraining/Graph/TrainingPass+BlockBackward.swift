import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels
import Foundation

extension TrainingPass {
  /// From the gradient of a block's output to the gradient of its input, adding parameter gradients.
  func blockBackward(_ record: BlockRecord, _ layers: BlockHandles, outputGradient: FloatBuffer)
    -> FloatBuffer
  {
    let block = record.block
    let channels = block.expandedChannels
    let pixels = record.geometry.outputHeight * record.geometry.outputWidth
    let perImage = pixels * block.outputChannels
    let name = "blocks.\(block.stage).\(block.indexInStage)."
    // 5. Residual and stochastic depth.
    let projectionGradient = buffer(batch * perImage)
    timed(name + "residual", "residual + drop path backward") {
      Elementwise.scaleImages(
        outputGradient.readable, perImage: perImage, scales: record.keepScale?.readable, adding: nil,
        into: projectionGradient.buffer, pool: pool)
    }
    // 4. Projection.
    let projectedGradient = timed(name + "project bn", "batch norm + activation backward") {
      normalizeBackward(record.projection, outputGradient: projectionGradient)
    }
    let projectionInputGradient = buffer(batch * pixels * channels)
    timed(
      name + "project", "1x1 conv backward", macs: 2 * batch * pixels * channels * block.outputChannels
    ) {
      TrainingOps.pointwiseBackward(
        record.projectionInput.pointer, rows: batch * pixels, layer: layers.projection,
        outputGradient: projectedGradient.pointer, inputGradient: projectionInputGradient.pointer, pool: pool)
    }
    // 3. Squeeze-and-excitation.
    var depthwiseOutputGradient = projectionInputGradient
    if let squeeze = record.squeeze, let reduce = layers.squeezeReduce, let expand = layers.squeezeExpand {
      let profileStart = profiler.map { _ in DispatchTime.now().uptimeNanoseconds }
      defer {
        if let profiler, let profileStart {
          profiler.record(name + "se", "squeeze-excitation backward", since: profileStart)
        }
      }
      let reducedChannels = block.squeezeChannels
      // Through the channel scaling: dX = dY·gate, dgate = Σ_p dY·X; then through the sigmoid.
      let gateGradient = buffer(batch * channels)
      let direct = buffer(batch * pixels * channels)
      SqueezeExcitationBackward.scaleChannelsBackward(
        input: record.depthwise.output.readable, scales: squeeze.gate.readable,
        outputGradient: projectionInputGradient.readable, batch: batch, pixels: pixels, channels: channels,
        inputGradient: direct.buffer, accumulateInput: false, scaleGradient: gateGradient.buffer,
        accumulateScale: false, pool: pool)
      ActivationBackward.sigmoidInputGradient(
        output: squeeze.gate.readable, outputGradient: gateGradient.readable,
        inputGradient: gateGradient.buffer,
        accumulate: false, pool: pool)
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
      // Through the average pool: every pixel also gets dpooled / P.
      Pooling.globalAveragePoolBackward(
        outputGradient: pooledGradient.readable, batch: batch, pixels: pixels, channels: channels,
        inputGradient: direct.buffer, accumulate: true, pool: pool)
      depthwiseOutputGradient = direct
    }
    // 2. Depthwise.
    let depthwiseGradient = timed(name + "depthwise bn", "batch norm + activation backward") {
      normalizeBackward(record.depthwise, outputGradient: depthwiseOutputGradient)
    }
    let depthwiseInput = record.expansion?.output ?? record.input
    let depthwiseInputGradient = buffer(batch * record.inputPixels * channels)
    let kernel = record.geometry.kernelHeight * record.geometry.kernelWidth
    timed(
      name + "depthwise", "depthwise \(block.kernelSize)x\(block.kernelSize) backward",
      macs: 2 * batch * pixels * channels * kernel
    ) {
      TrainingOps.depthwiseBackward(
        depthwiseInput.pointer, batch: batch, geometry: record.geometry, layer: layers.depthwise,
        outputGradient: depthwiseGradient.pointer, inputGradient: depthwiseInputGradient.pointer, pool: pool)
    }
    // 1. Expansion.
    var inputGradient = depthwiseInputGradient
    if let expansion = record.expansion, let layer = layers.expansion {
      let expandedGradient = timed(name + "expand bn", "batch norm + activation backward") {
        normalizeBackward(expansion, outputGradient: depthwiseInputGradient)
      }
      inputGradient = buffer(batch * record.inputPixels * block.inputChannels)
      timed(
        name + "expand", "1x1 conv backward",
        macs: 2 * batch * record.inputPixels * block.inputChannels * channels
      ) {
        TrainingOps.pointwiseBackward(
          record.input.pointer, rows: batch * record.inputPixels, layer: layer,
          outputGradient: expandedGradient.pointer,
          inputGradient: inputGradient.pointer, pool: pool)
      }
    }
    // The skip connection passes the output gradient straight through.
    if block.hasResidual {
      timed(name + "residual", "residual + drop path backward") {
        Elementwise.add(outputGradient.readable, into: inputGradient.buffer, pool: pool)
      }
    }
    return inputGradient
  }
}
