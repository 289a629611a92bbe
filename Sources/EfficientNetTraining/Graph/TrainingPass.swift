import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// One forward + backward pass over a batch: the saved activations of every layer, then the
/// gradients in reverse order. Every step is a layer operation of `EfficientNetLayers`; this type
/// only orders them and hands out the workspace's buffers.
struct TrainingPass {
  let graph: TrainingGraph
  let batch: Int
  let height: Int
  let width: Int
  /// Times each layer call when the step is profiled.
  let timer: LayerTimer?
  var workspace: Workspace { graph.workspace }
  var pool: ComputePool { graph.pool }
  var layout: NetworkLayout { graph.layout }
  var configuration: Configuration { graph.architecture.configuration }

  /// The pass's next buffer of `count` floats.
  func buffer(_ count: Int) -> FloatBuffer { workspace.next(count) }

  func geometry(_ h: Int, _ w: Int, kernel: Int, stride: Int) -> ConvolutionGeometry {
    configuration.padding.geometry(inputHeight: h, inputWidth: w, kernel: kernel, stride: stride)
  }

  /// timm's module path of a layer and of its batch norm, for profiles.
  func names(_ layer: NetworkLayer) -> LayerNames { layout.names(of: layer.identity, in: .timm) }

  // MARK: Batch norm + activation

  func normalizeForward<Convolution>(
    _ layer: NormalizedConvolution<Convolution>, input: FloatBuffer, positions: Int, activation: Activation
  ) -> BatchNormRecord {
    timer.measure(names(layer.layer).normalization!, "batch norm + activation forward") {
      layer.normalization.forward(
        input, positions: positions, activation: activation, momentum: graph.batchNormMomentum,
        usesRunningStatistics: graph.usesRunningStatistics, workspace: workspace, pool: pool)
    }
  }

  func normalizeBackward<Convolution>(
    _ layer: NormalizedConvolution<Convolution>, _ record: BatchNormRecord, outputGradient: FloatBuffer
  ) -> FloatBuffer {
    timer.measure(names(layer.layer).normalization!, "batch norm + activation backward") {
      layer.normalization.backward(record, outputGradient: outputGradient, pool: pool)
    }
  }

  // MARK: Stem

  /// The stem's convolution, batch norm and activation on `input` (NHWC).
  func stemForward(input: UnsafeBufferPointer<Float>) -> (
    geometry: ConvolutionGeometry, record: BatchNormRecord
  ) {
    let stemLayer = graph.stem
    let stemGeometry = geometry(
      height, width, kernel: stemLayer.layer.kernelSize, stride: stemLayer.layer.stride)
    let (h, w) = (stemGeometry.outputHeight, stemGeometry.outputWidth)
    let stemConvolution = buffer(batch * h * w * stemLayer.layer.outputChannels)
    let stemMACs = batch * h * w * stemLayer.layer.multiplyAccumulatesPerPosition
    timer.measure(names(stemLayer.layer).module, stemKind + " forward", macs: stemMACs) {
      stemLayer.convolution.forward(
        input: input, batch: batch, geometry: stemGeometry, activation: .identity,
        output: stemConvolution.buffer,
        pool: pool)
    }
    let record = normalizeForward(
      stemLayer, input: stemConvolution, positions: batch * h * w, activation: graph.activation)
    return (stemGeometry, record)
  }

  /// The stem's backward from the gradient of its output (the input needs no gradient).
  func stemBackward(
    input: UnsafeBufferPointer<Float>, geometry: ConvolutionGeometry, record: BatchNormRecord,
    outputGradient: FloatBuffer
  ) {
    let stemLayer = graph.stem
    let stemGradient = normalizeBackward(stemLayer, record, outputGradient: outputGradient)
    let macs =
      batch * geometry.outputHeight * geometry.outputWidth * stemLayer.layer.multiplyAccumulatesPerPosition
    timer.measure(names(stemLayer.layer).module, stemKind + " backward", macs: macs) {
      stemLayer.convolution.weightBackward(
        input: input, batch: batch, geometry: geometry, outputGradient: stemGradient.readable, pool: pool)
    }
  }

  /// The stem's kind in profiles, e.g. `stem 3x3`.
  var stemKind: String { "stem \(graph.stem.layer.kernelSize)x\(graph.stem.layer.kernelSize)" }

  // MARK: Whole pass

  mutating func run(input: UnsafeBufferPointer<Float>, labels: [Int], generator: inout SeededGenerator)
    -> StepResult
  {
    let (stemGeometry, stem) = stemForward(input: input)
    var h = stemGeometry.outputHeight
    var w = stemGeometry.outputWidth
    var current = stem.output
    var records: [BlockRecord] = []
    records.reserveCapacity(graph.blocks.count)
    for block in graph.blocks {
      let record = blockForward(block, input: current, height: h, width: w, generator: &generator)
      records.append(record)
      current = record.output
      h = record.geometry.outputHeight
      w = record.geometry.outputWidth
    }

    // Head: 1×1 convolution, batch norm, activation, global average pool, dropout, classifier.
    let headLayer = graph.head
    let headChannels = headLayer.layer.outputChannels
    let lastChannels = headLayer.layer.inputChannels
    let pixels = h * w
    let headConvolution = buffer(batch * pixels * headChannels)
    let headMACs = batch * pixels * headLayer.layer.multiplyAccumulatesPerPosition
    let headName = names(headLayer.layer).module
    timer.measure(headName, "1x1 conv forward", macs: headMACs) {
      headLayer.convolution.forward(
        input: current.pointer, rows: batch * pixels, output: headConvolution.pointer, pool: pool)
    }
    let head = normalizeForward(
      headLayer, input: headConvolution, positions: batch * pixels, activation: graph.activation)
    let classifierName = names(layout.classifier!).module
    var profileStart = timer.start
    let pooled = buffer(batch * headChannels)
    Pooling.globalAveragePool(
      input: head.output.readable, batch: batch, pixels: pixels, channels: headChannels,
      output: pooled.buffer,
      pool: pool)
    let dropout = DropoutLayer(rate: graph.regularization ? configuration.dropoutRate : 0)
    let classifierInput = buffer(batch * headChannels)
    let keep = dropout.forward(
      pooled, output: classifierInput, generator: &generator, workspace: workspace, pool: pool)
    let classifier = graph.classifier!
    let classes = classifier.outputCount
    let logits = buffer(batch * classes)
    classifier.forward(input: classifierInput.pointer, rows: batch, output: logits.pointer, pool: pool)

    // Loss and its gradient.
    let logitGradient = buffer(batch * classes)
    let (loss, correct) = crossEntropy(
      logits: logits, labels: labels, classes: classes, gradient: logitGradient)
    timer.record(classifierName, "pool + classifier + loss", since: profileStart)
    profileStart = timer.start

    // Backward: classifier, dropout, pooling, head.
    let classifierInputGradient = buffer(batch * headChannels)
    classifier.backward(
      input: classifierInput.pointer, rows: batch, outputGradient: logitGradient.pointer,
      inputGradient: graph.trainsBackbone ? classifierInputGradient.pointer : nil, pool: pool)
    // A frozen backbone needs no gradient: stop at the classifier.
    guard graph.trainsBackbone else {
      timer.record(classifierName, "classifier backward", since: profileStart)
      return StepResult(loss: loss, correct: correct, logits: logits.array)
    }
    dropout.backward(classifierInputGradient, keep: keep, pool: pool)
    let headOutputGradient = buffer(batch * pixels * headChannels)
    Pooling.globalAveragePoolBackward(
      outputGradient: classifierInputGradient.readable, batch: batch, pixels: pixels, channels: headChannels,
      inputGradient: headOutputGradient.buffer, accumulate: false, pool: pool)
    timer.record(classifierName, "classifier backward", since: profileStart)
    let headConvolutionGradient = normalizeBackward(headLayer, head, outputGradient: headOutputGradient)
    var gradient = buffer(batch * pixels * lastChannels)
    timer.measure(headName, "1x1 conv backward", macs: 2 * headMACs) {
      headLayer.convolution.backward(
        input: current.pointer, rows: batch * pixels, outputGradient: headConvolutionGradient.pointer,
        inputGradient: gradient.pointer, pool: pool)
    }

    for (record, block) in zip(records, graph.blocks).reversed() {
      gradient = blockBackward(record, block, outputGradient: gradient)
    }

    stemBackward(input: input, geometry: stemGeometry, record: stem, outputGradient: gradient)
    return StepResult(loss: loss, correct: correct, logits: logits.array)
  }

  /// Mean cross-entropy with label smoothing and optional class weights (PyTorch's
  /// `cross_entropy(weight: w, label_smoothing: ε)`), its gradient, and how many rows have their
  /// largest logit at the label.
  private func crossEntropy(logits: FloatBuffer, labels: [Int], classes: Int, gradient: FloatBuffer)
    -> (loss: Double, correct: Int)
  {
    let evaluation = labels.withUnsafeBufferPointer { labels in
      func run(_ weights: UnsafeBufferPointer<Float>?) -> CrossEntropy.Evaluation {
        CrossEntropy.lossAndGradient(
          logits: logits.readable, labels: labels, classes: classes,
          labelSmoothing: Float(graph.labelSmoothing),
          logitsGradient: gradient.buffer, correct: nil, classWeights: weights, pool: pool)
      }
      guard let classWeights = graph.classWeights else { return run(nil) }
      return classWeights.withUnsafeBufferPointer { run($0) }
    }
    return (evaluation.loss, evaluation.correctCount)
  }
}
