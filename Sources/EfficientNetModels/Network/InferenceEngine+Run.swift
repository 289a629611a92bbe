import EfficientNetCore
import EfficientNetKernels

extension InferenceEngine {
  /// Runs stem, blocks, head and classifier over `input` (`[N, H, W, C]`) with the planned buffers.
  func run(
    input: UnsafeBufferPointer<Float>, plan: BufferPlan, collectFeatures: Bool, profiling: Bool
  ) -> InferenceOutput {
    let batch = plan.batch
    var timer = LayerTimer(profile: profiling ? LayerProfile() : nil)
    var current = plan.activations.0
    var next = plan.activations.1
    var height = plan.stemGeometry.outputHeight
    var width = plan.stemGeometry.outputWidth
    // Stem: k×k stride-2 convolution, batch norm folded, activation fused.
    let stemMACs =
      batch * height * width * stem.outputChannels * stem.inputChannels * stem.kernelSize * stem.kernelSize
    timer.measure("conv_stem", "stem \(stem.kernelSize)x\(stem.kernelSize) s2", macs: stemMACs) {
      Convolution.convolve(
        input: input, batch: batch, inputChannels: stem.inputChannels, outputChannels: stem.outputChannels,
        groups: 1, geometry: plan.stemGeometry, weights: stem.weights.all, bias: stem.bias.all,
        activation: activation, output: current.write(batch * height * width * stem.outputChannels),
        pool: pool)
    }
    var features: [Tensor] = []
    let featureBlocks = Set(architecture.featureStages.map { architecture.stages[$0].last!.globalIndex })

    for (index, compiled) in blocks.enumerated() {
      let block = compiled.block
      let geometry = plan.blockGeometries[index]
      let channels = block.expandedChannels
      let inputPixels = height * width
      let name = "blocks.\(block.stage).\(block.indexInStage)"
      let pixels = geometry.outputHeight * geometry.outputWidth
      let outputs = block.outputChannels
      let kernel = "\(block.kernelSize)x\(block.kernelSize) s\(block.stride)"
      let depthwiseMACs = pixels * channels * block.kernelSize * block.kernelSize
      let channelSums = compiled.squeeze == nil ? nil : plan.channelSums.pointer
      // Image by image: each image's expanded and depthwise tensors stay in cache from one kernel of
      // the block to the next. Run over a whole batch of 8, they spilled to L3 and the depthwise
      // layers ran at half their batch-1 speed.
      for image in 0..<batch {
        let blockInput = current.pointer + image * inputPixels * block.inputChannels
        if plan.fused[index], let expansion = compiled.expansion {
          // 1+2. Expansion and depthwise band by band (the expanded rows stay in cache).
          timer.measure(
            name + ".conv_pw+conv_dw", "expand+depthwise " + kernel,
            macs: inputPixels * block.inputChannels * channels + depthwiseMACs
          ) {
            DepthwiseConvolution.expandAndConvolve(
              input: blockInput, batch: 1, inputChannels: block.inputChannels,
              expansion: expansion.weights, expansionBias: expansion.bias.pointer, channels: channels,
              geometry: geometry, weights: compiled.depthwiseWeights.all, bias: compiled.depthwiseBias.all,
              activation: activation, output: plan.depthwise.write(pixels * channels),
              channelSums: channelSums, scratch: plan.fusedScratch.pointer, pool: pool)
          }
        } else {
          // 1. 1×1 expansion (inverted residual blocks only).
          var depthwiseInput = UnsafeBufferPointer(start: blockInput, count: inputPixels * channels)
          if let expansion = compiled.expansion {
            timer.measure(
              name + ".conv_pw", "pointwise expand", macs: inputPixels * block.inputChannels * channels
            ) {
              GEMM.multiply(
                rows: inputPixels, input: blockInput, inputRowStride: block.inputChannels, inputScale: nil,
                weights: expansion.weights, bias: expansion.bias.pointer, activation: activation,
                residual: nil, residualRowStride: 0, output: plan.expanded.pointer, outputRowStride: channels,
                pool: pool)
            }
            depthwiseInput = plan.expanded.read(inputPixels * channels)
          }
          // 2. Depthwise k×k; its epilogue also sums each channel for squeeze-and-excitation.
          timer.measure(name + ".conv_dw", "depthwise " + kernel, macs: depthwiseMACs) {
            DepthwiseConvolution.convolve(
              input: depthwiseInput, batch: 1, channels: channels, geometry: geometry,
              weights: compiled.depthwiseWeights.all, bias: compiled.depthwiseBias.all,
              activation: activation,
              output: plan.depthwise.write(pixels * channels), channelSums: channelSums, pool: pool)
          }
        }
        // 3. Squeeze-and-excitation gate from the channel means.
        if let squeeze = compiled.squeeze {
          timer.measure(name + ".se", "squeeze-excitation", macs: 2 * channels * squeeze.reducedChannels) {
            SqueezeExcitation.gate(
              pooled: plan.channelSums.read(channels), batch: 1, channels: channels,
              reducedChannels: squeeze.reducedChannels, reduceWeights: squeeze.reduceWeights.all,
              reduceBias: squeeze.reduceBias.all, activation: activation,
              expandWeights: squeeze.expandWeights.all,
              expandBias: squeeze.expandBias.all, inputScale: 1 / Float(pixels),
              gate: plan.gate.write(channels), pool: pool)
          }
        }
        // 4. 1×1 projection with the gate fused into its input and the residual into its epilogue.
        let projectionName = name + (block.kind == .invertedResidual ? ".conv_pwl" : ".conv_pw")
        timer.measure(projectionName, "pointwise project", macs: pixels * channels * outputs) {
          GEMM.multiply(
            rows: pixels, input: plan.depthwise.pointer, inputRowStride: channels,
            inputScale: compiled.squeeze == nil ? nil : UnsafePointer(plan.gate.pointer),
            weights: compiled.projection.weights, bias: compiled.projection.bias.pointer,
            activation: .identity, residual: block.hasResidual ? UnsafePointer(blockInput) : nil,
            residualRowStride: outputs, output: next.pointer + image * pixels * outputs,
            outputRowStride: outputs, pool: pool)
        }
      }
      height = geometry.outputHeight
      width = geometry.outputWidth
      swap(&current, &next)
      if collectFeatures && featureBlocks.contains(block.globalIndex) {
        features.append(
          copyOut(current.read(batch * pixels * outputs), shape: [batch, height, width, outputs]))
      }
    }
    // Head: 1×1 convolution + activation, global average pool, classifier.
    let pixels = height * width
    timer.measure("conv_head", "pointwise head", macs: batch * pixels * head.inputCount * head.outputCount) {
      GEMM.multiply(
        rows: batch * pixels, input: current.pointer, inputRowStride: head.inputCount, inputScale: nil,
        weights: head.weights, bias: head.bias.pointer, activation: activation, residual: nil,
        residualRowStride: 0,
        output: plan.expanded.pointer, outputRowStride: head.outputCount, pool: pool)
    }
    timer.measure("global_pool", "global average pool", macs: 0) {
      Pooling.globalAveragePool(
        input: plan.expanded.read(batch * pixels * head.outputCount), batch: batch, pixels: pixels,
        channels: head.outputCount, output: plan.pooled.write(batch * head.outputCount), pool: pool)
    }
    let pooled = copyOut(plan.pooled.read(batch * head.outputCount), shape: [batch, head.outputCount])
    var logits: Tensor?
    if let classifier {
      timer.measure("classifier", "classifier", macs: batch * head.outputCount * classifier.outputCount) {
        GEMM.multiply(
          rows: batch, input: plan.pooled.pointer, inputRowStride: head.outputCount, inputScale: nil,
          weights: classifier.weights, bias: classifier.bias.pointer, activation: .identity, residual: nil,
          residualRowStride: 0, output: plan.logits.pointer, outputRowStride: classifier.outputCount,
          pool: pool)
      }
      logits = copyOut(
        plan.logits.read(batch * classifier.outputCount), shape: [batch, classifier.outputCount])
    }
    return InferenceOutput(
      logits: logits, pooledFeatures: pooled, features: features,
      profile: timer.profile?.mergingRepeatedLayers())
  }

  /// Copies planned-buffer contents into a new tensor of `shape`.
  private func copyOut(_ source: UnsafeBufferPointer<Float>, shape: [Int]) -> Tensor {
    var tensor = Tensor(zeros: shape)
    tensor.withUnsafeMutableBufferPointer { target in
      target.baseAddress!.update(from: source.baseAddress!, count: target.count)
    }
    return tensor
  }
}
