import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers

extension InferenceEngine {
  /// Runs stem, blocks, head and classifier over `input` (`[N, H, W, C]`) with the planned buffers.
  func run(
    input: UnsafeBufferPointer<Float>, plan: BufferPlan, collectFeatures: Bool, profiling: Bool,
    featuresOnly: Bool = false, locatingNonFinite: Bool = false
  ) -> InferenceOutput {
    let batch = plan.batch
    // With `locatingNonFinite`, every layer's output is checked and the first to hold a NaN or an
    // infinity is named.
    var nonFiniteLayer: String?
    func check(_ name: @autoclosure () -> String, _ values: UnsafeBufferPointer<Float>) {
      if locatingNonFinite, nonFiniteLayer == nil, !Elementwise.allFinite(values) { nonFiniteLayer = name() }
    }
    let timer = profiling ? LayerTimer() : nil
    var current = plan.activations.0
    var next = plan.activations.1
    var height = plan.stemGeometry.outputHeight
    var width = plan.stemGeometry.outputWidth
    // Stem: k×k stride-2 convolution, batch norm folded, activation fused.
    let stemLayer = layout.stem
    timer.measure(
      moduleName(stemLayer),
      "stem \(stemLayer.kernelSize)x\(stemLayer.kernelSize) s\(stemLayer.stride)",
      macs: batch * height * width * stemLayer.multiplyAccumulatesPerPosition
    ) {
      stem.forward(
        input: input, batch: batch, geometry: plan.stemGeometry, activation: activation,
        output: current.write(batch * height * width * stem.outputChannels), pool: pool)
    }
    check(moduleName(stemLayer), current.read(batch * height * width * stem.outputChannels))
    var features: [Tensor] = []
    let featureBlocks = Set(architecture.featureStages.map { architecture.stages[$0].last!.globalIndex })
    for (index, layers) in blocks.enumerated() {
      let geometry = plan.blockGeometries[index]
      runBlock(
        layers, input: current, output: next, batch: batch, inputPixels: height * width, geometry: geometry,
        plan: plan, fused: plan.fused[index], timer: timer)
      height = geometry.outputHeight
      width = geometry.outputWidth
      swap(&current, &next)
      check(
        moduleName(layers.layout.projection),
        current.read(batch * height * width * layers.block.outputChannels))
      if collectFeatures && featureBlocks.contains(layers.block.globalIndex) {
        let channels = layers.block.outputChannels
        features.append(
          copyOut(current.read(batch * height * width * channels), shape: [batch, height, width, channels]))
      }
    }
    if featuresOnly {
      return InferenceOutput(
        logits: nil, pooledFeatures: Tensor(zeros: [batch, 0]), features: features,
        profile: timer?.profile.mergingRepeatedLayers())
    }
    // Head: 1×1 convolution + activation, global average pool, classifier.
    let pixels = height * width
    timer.measure(
      moduleName(layout.head), "pointwise head",
      macs: batch * pixels * layout.head.multiplyAccumulatesPerPosition
    ) {
      head.forward(
        input: current.pointer, rows: batch * pixels, activation: activation, output: plan.expanded.pointer,
        pool: pool)
    }
    check(moduleName(layout.head), plan.expanded.read(batch * pixels * head.outputCount))
    timer.measure("global_pool", "global average pool", macs: 0) {
      Pooling.globalAveragePool(
        input: plan.expanded.read(batch * pixels * head.outputCount), batch: batch, pixels: pixels,
        channels: head.outputCount, output: plan.pooled.write(batch * head.outputCount), pool: pool)
    }
    let pooled = copyOut(plan.pooled.read(batch * head.outputCount), shape: [batch, head.outputCount])
    var logits: Tensor?
    if let classifier, let classifierLayer = layout.classifier {
      timer.measure(
        moduleName(classifierLayer), "classifier",
        macs: batch * classifierLayer.multiplyAccumulatesPerPosition
      ) {
        classifier.forward(input: plan.pooled.pointer, rows: batch, output: plan.logits.pointer, pool: pool)
      }
      check(moduleName(classifierLayer), plan.logits.read(batch * classifier.outputCount))
      logits = copyOut(
        plan.logits.read(batch * classifier.outputCount), shape: [batch, classifier.outputCount])
    }
    var output = InferenceOutput(
      logits: logits, pooledFeatures: pooled, features: features,
      profile: timer?.profile.mergingRepeatedLayers())
    output.nonFiniteLayer = nonFiniteLayer
    return output
  }

  /// One block over the batch, image by image: each image's expanded and depthwise tensors stay in
  /// cache from one layer of the block to the next (run over a whole batch of 8, they spilled to L3
  /// and the depthwise layers ran at half their batch-1 speed).
  private func runBlock(
    _ layers: InferenceBlock, input: FloatBuffer, output: FloatBuffer, batch: Int, inputPixels: Int,
    geometry: ConvolutionGeometry, plan: BufferPlan, fused: Bool, timer: LayerTimer?
  ) {
    let block = layers.block
    let channels = block.expandedChannels
    let pixels = geometry.outputHeight * geometry.outputWidth
    let outputs = block.outputChannels
    let depthwiseMACs = pixels * layers.layout.depthwise.multiplyAccumulatesPerPosition
    let channelSums = layers.squeezeExcitation == nil ? nil : plan.channelSums.pointer
    for image in 0..<batch {
      let blockInput = input.pointer + image * inputPixels * block.inputChannels
      if fused, let expansion = layers.expansion, let expansionLayer = layers.layout.expansion {
        // 1+2. Expansion and depthwise band by band (the expanded rows stay in cache).
        timer.measure(
          moduleName(expansionLayer) + "+" + moduleName(layers.layout.depthwise),
          "expand+depthwise " + kernelName(block),
          macs: inputPixels * expansionLayer.multiplyAccumulatesPerPosition + depthwiseMACs
        ) {
          layers.depthwise.forward(
            expanding: blockInput, batch: 1, with: expansion, geometry: geometry, activation: activation,
            output: plan.depthwise.write(pixels * channels), channelSums: channelSums,
            scratch: plan.fusedScratch.pointer, pool: pool)
        }
      } else {
        // 1. 1×1 expansion (inverted residual blocks only).
        var depthwiseInput = UnsafeBufferPointer(start: blockInput, count: inputPixels * channels)
        if let expansion = layers.expansion, let expansionLayer = layers.layout.expansion {
          timer.measure(
            moduleName(expansionLayer), "pointwise expand",
            macs: inputPixels * expansionLayer.multiplyAccumulatesPerPosition
          ) {
            expansion.forward(
              input: blockInput, rows: inputPixels, activation: activation, output: plan.expanded.pointer,
              outputRowStride: channels, pool: pool)
          }
          depthwiseInput = plan.expanded.read(inputPixels * channels)
        }
        // 2. Depthwise k×k; its epilogue also sums each channel for squeeze-and-excitation.
        timer.measure(
          moduleName(layers.layout.depthwise), "depthwise " + kernelName(block), macs: depthwiseMACs
        ) {
          layers.depthwise.forward(
            input: depthwiseInput, batch: 1, geometry: geometry, activation: activation,
            output: plan.depthwise.write(pixels * channels), channelSums: channelSums, pool: pool)
        }
      }
      // 3. Squeeze-and-excitation gate from the channel sums.
      if let squeezeExcitation = layers.squeezeExcitation {
        timer.measure(
          layers.layout.names[.timm]!.squeezeExcitation!, "squeeze-excitation",
          macs: 2 * channels * squeezeExcitation.reducedChannels
        ) {
          squeezeExcitation.gate(
            channelSums: plan.channelSums.read(channels), pixels: pixels, activation: activation,
            gate: plan.gate.write(channels), pool: pool)
        }
      }
      // 4. 1×1 projection with the gate fused into its input and the residual into its epilogue.
      timer.measure(
        moduleName(layers.layout.projection), "pointwise project",
        macs: pixels * channels * outputs
      ) {
        layers.projection.forward(
          input: plan.depthwise.pointer, rows: pixels, inputRowStride: channels,
          inputScale: layers.squeezeExcitation == nil ? nil : UnsafePointer(plan.gate.pointer),
          residual: block.hasResidual ? UnsafePointer(blockInput) : nil,
          output: output.pointer + image * pixels * outputs, pool: pool)
      }
    }
  }

  /// `KxK sS` of a block's depthwise convolution, for profiles.
  private func kernelName(_ block: ResolvedBlock) -> String {
    "\(block.kernelSize)x\(block.kernelSize) s\(block.stride)"
  }

  /// timm's module path of `layer`, for profiles (only built when a call is timed).
  private func moduleName(_ layer: NetworkLayer) -> String {
    layout.names(of: layer.identity, in: .timm).module
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
