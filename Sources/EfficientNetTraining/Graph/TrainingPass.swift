import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels
import Foundation

/// Batch norm + activation after a convolution, with what its backward needs.
struct NormalizedLayer {
  let norm: BatchNormHandles
  let positions: Int
  let channels: Int
  let activation: Activation
  let convolutionOutput: FloatBuffer
  let normalized: FloatBuffer
  let output: FloatBuffer
  let mean: FloatBuffer
  let inverseDeviation: FloatBuffer
  /// Whether the running statistics normalized it (frozen batch norm) rather than the batch's.
  let usesRunningStatistics: Bool
}

/// One forward + backward pass over a batch: the saved activations of every layer, then the
/// gradients in reverse order.
struct TrainingPass {
  let graph: TrainingGraph
  let batch: Int
  let height: Int
  let width: Int
  /// Times each kernel call when the step is profiled.
  let profiler: StepProfiler?
  var parameters: ParameterStore { graph.parameters }
  var workspace: Workspace { graph.workspace }
  var pool: ComputePool { graph.pool }
  var configuration: Configuration { graph.architecture.configuration }

  /// The pass's next buffer of `count` floats.
  func buffer(_ count: Int) -> FloatBuffer { workspace.next(count) }

  func geometry(_ h: Int, _ w: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
    configuration.padding.geometry(inputHeight: h, inputWidth: w, kernel: kernel, stride: stride)
  }

  // MARK: Batch norm + activation

  func normalizeForward(
    _ norm: BatchNormHandles, input: FloatBuffer, positions: Int, channels: Int, activation: Activation
  ) -> NormalizedLayer {
    let normalized = buffer(positions * channels)
    let output = activation == .identity ? normalized : buffer(positions * channels)
    let mean = buffer(channels)
    let inverse = buffer(channels)
    let frozen = graph.usesRunningStatistics
    if frozen {
      TrainingOps.frozenBatchNormForward(
        input.pointer, positions: positions, channels: channels, gamma: norm.gamma.pointer,
        beta: norm.beta.pointer, epsilon: configuration.batchNormEpsilon,
        runningMean: norm.runningMean.pointer, runningVariance: norm.runningVariance.pointer,
        savedMean: mean.pointer, savedInverseDeviation: inverse.pointer, into: normalized.pointer, pool: pool)
    } else {
      // The activation runs in the normalization's last pass.
      TrainingOps.batchNormForward(
        input.pointer, positions: positions, channels: channels, gamma: norm.gamma.pointer,
        beta: norm.beta.pointer,
        epsilon: configuration.batchNormEpsilon, momentum: graph.batchNormMomentum,
        runningMean: norm.runningMean.pointer, runningVariance: norm.runningVariance.pointer,
        savedMean: mean.pointer,
        savedInverseDeviation: inverse.pointer, into: normalized.pointer, activation: activation,
        activated: activation == .identity ? nil : output.pointer, pool: pool)
    }
    if frozen && activation != .identity {
      Elementwise.applyActivation(activation, from: normalized.readable, to: output.buffer, pool: pool)
    }
    return NormalizedLayer(
      norm: norm, positions: positions, channels: channels, activation: activation, convolutionOutput: input,
      normalized: normalized, output: output, mean: mean, inverseDeviation: inverse,
      usesRunningStatistics: frozen)
  }

  /// From the gradient of the layer's output to the gradient of its convolution's output.
  ///
  /// Consumes `outputGradient`: the activation's gradient and then (but for frozen statistics) the
  /// batch norm's input gradient overwrite it in place, since every caller's output gradient is dead
  /// after this; that saves two buffers the size of the layer per step.
  func normalizeBackward(_ layer: NormalizedLayer, outputGradient: FloatBuffer) -> FloatBuffer {
    let count = layer.positions * layer.channels
    // Without an activation the output gradient is already the normalization's.
    let beforeActivation = outputGradient
    if layer.activation != .identity {
      TrainingOps.activationBackward(
        layer.activation, preActivation: layer.normalized.pointer, outputGradient: outputGradient.pointer,
        inputGradient: outputGradient.pointer, count: count, pool: pool)
    }
    // Batch-norm backward may write its input gradient over its output gradient; the frozen one
    // reads the output gradient again after writing, so it gets its own buffer.
    let result = layer.usesRunningStatistics ? buffer(count) : beforeActivation
    if layer.usesRunningStatistics {
      TrainingOps.frozenBatchNormBackward(
        layer.convolutionOutput.pointer, positions: layer.positions, channels: layer.channels,
        gamma: layer.norm.gamma.pointer, savedMean: layer.mean.pointer,
        savedInverseDeviation: layer.inverseDeviation.pointer, outputGradient: beforeActivation.pointer,
        inputGradient: result.pointer, gammaGradient: layer.norm.gammaGradient.pointer,
        betaGradient: layer.norm.betaGradient.pointer, pool: pool)
    } else {
      TrainingOps.batchNormBackward(
        layer.convolutionOutput.pointer, positions: layer.positions, channels: layer.channels,
        gamma: layer.norm.gamma.pointer, savedMean: layer.mean.pointer,
        savedInverseDeviation: layer.inverseDeviation.pointer, outputGradient: beforeActivation.pointer,
        inputGradient: result.pointer, gammaGradient: layer.norm.gammaGradient.pointer,
        betaGradient: layer.norm.betaGradient.pointer, pool: pool)
    }
    return result
  }

  // MARK: Whole pass

  mutating func run(input: UnsafePointer<Float>, labels: [Int], generator: inout SeededGenerator)
    -> StepResult
  {
    let activation = graph.activation
    // Stem.
    let stemGeometry = geometry(height, width, kernel: 3, stride: 2)
    let stemChannels = graph.stem.outputChannels
    var h = stemGeometry.outputHeight
    var w = stemGeometry.outputWidth
    let stemConvolution = buffer(batch * h * w * stemChannels)
    let stemMACs = batch * h * w * stemChannels * configuration.inputChannels * 9
    timed("conv_stem", "stem 3x3 forward", macs: stemMACs) {
      TrainingOps.stemForward(
        input, batch: batch, geometry: stemGeometry, stem: graph.stem, into: stemConvolution.pointer,
        pool: pool)
    }
    let stem = timed("bn1", "batch norm + activation forward") {
      normalizeForward(
        graph.stem.norm, input: stemConvolution, positions: batch * h * w, channels: stemChannels,
        activation: activation)
    }

    var current = stem.output
    var records: [BlockRecord] = []
    records.reserveCapacity(graph.blockHandles.count)
    for (block, handles) in zip(graph.architecture.blocks, graph.blockHandles) {
      let record = blockForward(block, handles, input: current, height: h, width: w, generator: &generator)
      records.append(record)
      current = record.output
      h = record.geometry.outputHeight
      w = record.geometry.outputWidth
    }

    // Head: 1×1 convolution, batch norm, activation, global average pool, dropout, classifier.
    let headChannels = graph.head.outputs
    let lastChannels = graph.head.inputs
    let pixels = h * w
    let headConvolution = buffer(batch * pixels * headChannels)
    let headMACs = batch * pixels * lastChannels * headChannels
    timed("conv_head", "1x1 conv forward", macs: headMACs) {
      TrainingOps.pointwiseForward(
        current.pointer, rows: batch * pixels, layer: graph.head, into: headConvolution.pointer, pool: pool)
    }
    let head = timed("bn2", "batch norm + activation forward") {
      normalizeForward(
        graph.headNorm, input: headConvolution, positions: batch * pixels, channels: headChannels,
        activation: activation)
    }
    var profileStart = DispatchTime.now().uptimeNanoseconds
    let pooled = buffer(batch * headChannels)
    Pooling.globalAveragePool(
      input: head.output.readable, batch: batch, pixels: pixels, channels: headChannels,
      output: pooled.buffer,
      pool: pool)
    let dropoutRate = graph.regularization ? configuration.dropoutRate : 0
    let dropoutScale = buffer(batch * headChannels)
    let classifierInput = buffer(batch * headChannels)
    for index in 0..<batch * headChannels {
      let keep = dropoutRate == 0 || Double.random(in: 0..<1, using: &generator) >= dropoutRate
      dropoutScale.pointer[index] = keep ? Float(1 / (1 - dropoutRate)) : 0
      classifierInput.pointer[index] = pooled.pointer[index] * dropoutScale.pointer[index]
    }
    let classifier = graph.classifier!
    let classes = classifier.outputs
    let logits = buffer(batch * classes)
    TrainingOps.pointwiseForward(
      classifierInput.pointer, rows: batch, layer: classifier, into: logits.pointer, pool: pool)

    // Loss and its gradient.
    let logitGradient = buffer(batch * classes)
    let (loss, correct) = TrainingOps.crossEntropy(
      logits: logits.pointer, labels: labels, classes: classes, smoothing: graph.labelSmoothing,
      classWeights: graph.classWeights, gradient: logitGradient.pointer, pool: pool)
    profiler?.record("classifier", "pool + classifier + loss", since: profileStart)
    profileStart = DispatchTime.now().uptimeNanoseconds

    // Backward: classifier, dropout, pooling, head.
    let classifierInputGradient = buffer(batch * headChannels)
    TrainingOps.pointwiseBackward(
      classifierInput.pointer, rows: batch, layer: classifier, outputGradient: logitGradient.pointer,
      inputGradient: graph.trainsBackbone ? classifierInputGradient.pointer : nil, pool: pool)
    // A frozen backbone needs no gradient: stop at the classifier.
    guard graph.trainsBackbone else {
      profiler?.record("classifier", "classifier backward", since: profileStart)
      return StepResult(loss: loss, correct: correct, logits: logits.array)
    }
    // Through dropout (its mask scale), then the average pool.
    for index in 0..<batch * headChannels {
      classifierInputGradient.pointer[index] *= dropoutScale.pointer[index]
    }
    let headOutputGradient = buffer(batch * pixels * headChannels)
    Pooling.globalAveragePoolBackward(
      outputGradient: classifierInputGradient.readable, batch: batch, pixels: pixels, channels: headChannels,
      inputGradient: headOutputGradient.buffer, accumulate: false, pool: pool)
    profiler?.record("classifier", "classifier backward", since: profileStart)
    let headConvolutionGradient = timed("bn2", "batch norm + activation backward") {
      normalizeBackward(head, outputGradient: headOutputGradient)
    }
    var gradient = buffer(batch * pixels * lastChannels)
    timed("conv_head", "1x1 conv backward", macs: 2 * headMACs) {
      TrainingOps.pointwiseBackward(
        current.pointer, rows: batch * pixels, layer: graph.head,
        outputGradient: headConvolutionGradient.pointer,
        inputGradient: gradient.pointer, pool: pool)
    }

    for (record, handles) in zip(records, graph.blockHandles).reversed() {
      gradient = blockBackward(record, handles, outputGradient: gradient)
    }

    // Stem backward (the input needs no gradient).
    let stemGradient = timed("bn1", "batch norm + activation backward") {
      normalizeBackward(stem, outputGradient: gradient)
    }
    timed("conv_stem", "stem 3x3 backward", macs: stemMACs) {
      TrainingOps.stemWeightGradient(
        input, batch: batch, geometry: stemGeometry, stem: graph.stem, outputGradient: stemGradient.pointer,
        pool: pool)
    }
    return StepResult(loss: loss, correct: correct, logits: logits.array)
  }
}
