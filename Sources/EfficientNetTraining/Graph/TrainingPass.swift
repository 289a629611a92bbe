import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels

/// Batch norm + activation after a convolution, with what its backward needs.
struct NormalizedLayer {
  let slot: String
  let batchNorm: String
  let positions: Int
  let channels: Int
  let activation: Activation
  let convolutionOutput: FloatBuffer
  let normalized: FloatBuffer
  let output: FloatBuffer
  let mean: FloatBuffer
  let inverseDeviation: FloatBuffer
}

/// One forward + backward pass over a batch: the saved activations of every layer, then the
/// gradients in reverse order.
struct TrainingPass {
  let graph: TrainingGraph
  let batch: Int
  let height: Int
  let width: Int
  var parameters: ParameterStore { graph.parameters }
  var workspace: Workspace { graph.workspace }
  var pool: ComputePool { graph.pool }
  var configuration: Configuration { graph.architecture.configuration }

  func buffer(_ slot: String, _ count: Int) -> FloatBuffer { workspace.buffer(slot, count) }

  func geometry(_ h: Int, _ w: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
    switch configuration.padding {
    case .symmetric: return .symmetric(inputHeight: h, inputWidth: w, kernelSize: kernel, stride: stride)
    case .tensorFlowSame:
      return .tensorFlowSame(inputHeight: h, inputWidth: w, kernelSize: kernel, stride: stride)
    }
  }

  // MARK: Batch norm + activation

  func normalizeForward(
    _ slot: String, batchNorm: String, input: FloatBuffer, positions: Int, channels: Int,
    activation: Activation
  ) -> NormalizedLayer {
    let normalized = buffer(slot + ".bn", positions * channels)
    let output = activation == .identity ? normalized : buffer(slot + ".act", positions * channels)
    let mean = buffer(slot + ".mean", channels)
    let inverse = buffer(slot + ".invstd", channels)
    TrainingOps.batchNormForward(
      input.pointer, positions: positions, channels: channels,
      gamma: parameters.value(batchNorm + ".weight").pointer,
      beta: parameters.value(batchNorm + ".bias").pointer, epsilon: configuration.batchNormEpsilon,
      momentum: graph.batchNormMomentum, runningMean: parameters.value(batchNorm + ".running_mean").pointer,
      runningVariance: parameters.value(batchNorm + ".running_var").pointer, savedMean: mean.pointer,
      savedInverseDeviation: inverse.pointer, into: normalized.pointer, pool: pool)
    if activation != .identity {
      output.pointer.update(from: normalized.pointer, count: positions * channels)
      Elementwise.applyActivation(activation, to: output.buffer, pool: pool)
    }
    return NormalizedLayer(
      slot: slot, batchNorm: batchNorm, positions: positions, channels: channels, activation: activation,
      convolutionOutput: input, normalized: normalized, output: output, mean: mean, inverseDeviation: inverse)
  }

  /// From the gradient of the layer's output to the gradient of its convolution's output.
  func normalizeBackward(_ layer: NormalizedLayer, outputGradient: FloatBuffer) -> FloatBuffer {
    let count = layer.positions * layer.channels
    let beforeActivation = buffer(layer.slot + ".d_bn", count)
    TrainingOps.activationBackward(
      layer.activation, preActivation: layer.normalized.pointer, outputGradient: outputGradient.pointer,
      inputGradient: beforeActivation.pointer, count: count, pool: pool)
    let result = buffer(layer.slot + ".d_conv", count)
    TrainingOps.batchNormBackward(
      layer.convolutionOutput.pointer, positions: layer.positions, channels: layer.channels,
      gamma: parameters.value(layer.batchNorm + ".weight").pointer, savedMean: layer.mean.pointer,
      savedInverseDeviation: layer.inverseDeviation.pointer, outputGradient: beforeActivation.pointer,
      inputGradient: result.pointer, gammaGradient: parameters.gradient(layer.batchNorm + ".weight").pointer,
      betaGradient: parameters.gradient(layer.batchNorm + ".bias").pointer, pool: pool)
    return result
  }

  // MARK: Whole pass

  mutating func run(input: UnsafePointer<Float>, labels: [Int], generator: inout SeededGenerator)
    -> StepResult
  {
    let activation = graph.activation
    // Stem.
    let stemGeometry = geometry(height, width, kernel: 3, stride: 2)
    let stemChannels = graph.architecture.stemChannels
    var h = stemGeometry.outputHeight
    var w = stemGeometry.outputWidth
    let stemConvolution = buffer("stem.conv", batch * h * w * stemChannels)
    TrainingOps.convolutionForward(
      input, batch: batch, inputChannels: configuration.inputChannels, outputChannels: stemChannels,
      geometry: stemGeometry, weights: parameters.value("conv_stem.weight").pointer,
      into: stemConvolution.pointer,
      pool: pool)
    let stem = normalizeForward(
      "stem", batchNorm: "bn1", input: stemConvolution, positions: batch * h * w, channels: stemChannels,
      activation: activation)

    var current = stem.output
    var records: [BlockRecord] = []
    for block in graph.architecture.blocks {
      let record = blockForward(block, input: current, height: h, width: w, generator: &generator)
      records.append(record)
      current = record.output
      h = record.geometry.outputHeight
      w = record.geometry.outputWidth
    }

    // Head: 1×1 convolution, batch norm, activation, global average pool, dropout, classifier.
    let headChannels = graph.architecture.headChannels
    let lastChannels = graph.architecture.blocks.last?.outputChannels ?? stemChannels
    let pixels = h * w
    let headConvolution = buffer("head.conv", batch * pixels * headChannels)
    TrainingOps.pointwiseForward(
      current.pointer, rows: batch * pixels, inputs: lastChannels,
      weights: parameters.value("conv_head.weight").pointer, outputs: headChannels, bias: nil,
      into: headConvolution.pointer, pool: pool)
    let head = normalizeForward(
      "head", batchNorm: "bn2", input: headConvolution, positions: batch * pixels, channels: headChannels,
      activation: activation)
    let pooled = buffer("head.pooled", batch * headChannels)
    Pooling.globalAveragePool(
      input: head.output.readable, batch: batch, pixels: pixels, channels: headChannels,
      output: pooled.buffer,
      pool: pool)
    let dropoutRate = graph.regularization ? configuration.dropoutRate : 0
    let dropoutScale = buffer("head.dropout", batch * headChannels)
    let classifierInput = buffer("head.classifier_in", batch * headChannels)
    for index in 0..<batch * headChannels {
      let keep = dropoutRate == 0 || Double.random(in: 0..<1, using: &generator) >= dropoutRate
      dropoutScale.pointer[index] = keep ? Float(1 / (1 - dropoutRate)) : 0
      classifierInput.pointer[index] = pooled.pointer[index] * dropoutScale.pointer[index]
    }
    let classes = configuration.classCount
    let logits = buffer("logits", batch * classes)
    TrainingOps.pointwiseForward(
      classifierInput.pointer, rows: batch, inputs: headChannels,
      weights: parameters.value("classifier.weight").pointer,
      outputs: classes, bias: parameters.value("classifier.bias").pointer, into: logits.pointer, pool: pool)

    // Loss and its gradient.
    let logitGradient = buffer("d_logits", batch * classes)
    let (loss, correct) = TrainingOps.crossEntropy(
      logits: logits.pointer, labels: labels, classes: classes, smoothing: graph.labelSmoothing,
      gradient: logitGradient.pointer, pool: pool)

    // Backward: classifier, dropout, pooling, head.
    let classifierInputGradient = buffer("head.d_classifier_in", batch * headChannels)
    TrainingOps.pointwiseBackward(
      classifierInput.pointer, rows: batch, inputs: headChannels,
      weights: parameters.value("classifier.weight").pointer,
      outputs: classes, outputGradient: logitGradient.pointer, inputGradient: classifierInputGradient.pointer,
      weightGradient: parameters.gradient("classifier.weight").pointer,
      biasGradient: parameters.gradient("classifier.bias").pointer, pool: pool)
    let headOutputGradient = buffer("head.d_out", batch * pixels * headChannels)
    for image in 0..<batch {
      for p in 0..<pixels {
        let target = headOutputGradient.pointer + (image * pixels + p) * headChannels
        for c in 0..<headChannels {
          let index = image * headChannels + c
          target[c] = classifierInputGradient.pointer[index] * dropoutScale.pointer[index] / Float(pixels)
        }
      }
    }
    let headConvolutionGradient = normalizeBackward(head, outputGradient: headOutputGradient)
    var gradient = buffer("head.d_in", batch * pixels * lastChannels)
    TrainingOps.pointwiseBackward(
      current.pointer, rows: batch * pixels, inputs: lastChannels,
      weights: parameters.value("conv_head.weight").pointer,
      outputs: headChannels, outputGradient: headConvolutionGradient.pointer, inputGradient: gradient.pointer,
      weightGradient: parameters.gradient("conv_head.weight").pointer, biasGradient: nil, pool: pool)

    for record in records.reversed() {
      gradient = blockBackward(record, outputGradient: gradient)
    }

    // Stem backward (the input needs no gradient).
    let stemGradient = normalizeBackward(stem, outputGradient: gradient)
    TrainingOps.convolutionWeightGradient(
      input, batch: batch, inputChannels: configuration.inputChannels, outputChannels: stemChannels,
      geometry: stemGeometry, outputGradient: stemGradient.pointer,
      weightGradient: parameters.gradient("conv_stem.weight").pointer, pool: pool)
    return StepResult(loss: loss, correct: correct, logits: logits.array)
  }
}
