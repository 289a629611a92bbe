import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// What one training step computed.
public struct StepResult: Sendable {
  /// Mean cross-entropy (with label smoothing) over the batch.
  public var loss: Double
  /// How many samples had their largest logit at the label.
  public var correct: Int
  /// The logits `[N, classes]`, row-major.
  public var logits: [Float]
}

/// An EfficientNet in training mode: forward with batch statistics, dropout and stochastic depth,
/// cross-entropy with label smoothing, and the gradient of every parameter by reverse-mode
/// differentiation written once over the architecture (each layer's backward beside its forward).
///
/// Gradients accumulate into ``ParameterStore/gradients`` (zero them between steps); running
/// statistics are updated in place.
public final class TrainingGraph {
  /// The architecture being trained.
  public let architecture: Architecture
  /// Values, gradients and running statistics.
  public let parameters: ParameterStore
  /// Batch-norm momentum in PyTorch's convention (weight of the batch statistics).
  public var batchNormMomentum = 0.1
  /// Label smoothing ε of the loss.
  public var labelSmoothing = 0.1
  /// Whether dropout and stochastic depth are applied (their rates come from the configuration).
  public var regularization = true
  /// Whether everything below the classifier gets gradients. When false (a frozen backbone, the first
  /// epochs of fine-tuning) the backward pass stops at the classifier, only the classifier's gradients
  /// are written, and every batch norm uses and keeps its running statistics.
  public var trainsBackbone = true
  /// Whether every batch norm normalizes with its running statistics and leaves them unchanged
  /// (PyTorch's batch norm in `eval()` mode); its scale and shift still get gradients.
  public var freezesBatchNormStatistics = false
  /// Per-class weights of the loss `[classes]` (nil: all ones), with PyTorch's weighted mean.
  public var classWeights: [Float]? {
    didSet {
      precondition(
        classWeights.map { $0.count == architecture.configuration.classCount } ?? true,
        "class weights must have one weight per class")
    }
  }
  let pool: ComputePool
  let activation: Activation
  let workspace = Workspace()
  let stem: NormalizedConvolution<ConvolutionLayer>
  let blocks: [TrainingBlock]
  let head: NormalizedConvolution<PointwiseLayer>
  let classifier: PointwiseLayer?

  /// Prepares `model` for training.
  public init(model: EfficientNet, pool: ComputePool = .shared) {
    architecture = model.architecture
    let store = ParameterStore(model: model)
    parameters = store
    self.pool = pool
    activation = model.configuration.activation.kernelActivation
    let layout = model.layout
    stem = NormalizedConvolution(
      convolution: store.convolution(layout.stem), normalization: store.batchNorm(after: layout.stem),
      layer: layout.stem)
    blocks = layout.blocks.map { TrainingBlock(store, $0) }
    head = NormalizedConvolution(
      convolution: store.pointwise(layout.head), normalization: store.batchNorm(after: layout.head),
      layer: layout.head)
    classifier = layout.classifier.map(store.pointwise)
  }

  /// The layout being trained.
  public var layout: NetworkLayout { parameters.layout }

  /// Repacks every weight for the forward kernels (after the optimizer changed them).
  func refreshPackedWeights() {
    stem.convolution.refresh()
    for block in blocks { block.refresh() }
    head.convolution.refresh()
    classifier?.refresh()
  }

  /// Whether batch norms use their running statistics in this step.
  var usesRunningStatistics: Bool { freezesBatchNormStatistics || !trainsBackbone }

  /// Bytes held for saved activations and their gradients (for the batch shape last used).
  public var activationBytes: Int { workspace.byteCount }

  /// Whether ``step(images:labels:generator:)`` times each kernel call into ``lastProfile``
  /// (forward and backward layer by layer; off by default, and the numbers are the same either way).
  public var profiling = false

  /// The kernel timings of the last step taken with ``profiling`` on (nil before one).
  public private(set) var lastProfile: LayerProfile?

  /// The current parameters as a model (for evaluation or saving).
  public func model() throws -> EfficientNet {
    try EfficientNet(architecture: architecture, tensors: parameters.tensors(), source: "training state")
  }

  /// Runs forward and backward on one batch and adds every parameter's gradient.
  ///
  /// - Parameters:
  ///   - images: `[N, H, W, C]` NHWC.
  ///   - labels: N class indices.
  ///   - generator: draws the dropout and stochastic-depth masks.
  public func step(images: Tensor, labels: [Int], generator: inout SeededGenerator) throws -> StepResult {
    let configuration = architecture.configuration
    guard images.shape.count == 4, images.shape[3] == configuration.inputChannels,
      images.shape[0] == labels.count,
      images.shape[0] > 0
    else {
      throw ModelError.invalidInput(
        name: "images",
        reason:
          "expected [N, H, W, \(configuration.inputChannels)] with N = \(labels.count), got \(images.shape)")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= configuration.classCount }) {
      throw ModelError.invalidInput(
        name: "labels", reason: "label \(bad) outside 0..<\(configuration.classCount)")
    }
    // Batch statistics need at least two values per channel (PyTorch refuses one as well).
    var height = architecture.outputSize(images.shape[1], kernel: 3, stride: 2)
    var width = architecture.outputSize(images.shape[2], kernel: 3, stride: 2)
    for block in architecture.blocks {
      height = architecture.outputSize(height, kernel: block.kernelSize, stride: block.stride)
      width = architecture.outputSize(width, kernel: block.kernelSize, stride: block.stride)
    }
    guard images.shape[0] * height * width >= 2 else {
      throw ModelError.invalidInput(
        name: "images",
        reason:
          "batch norm in training needs at least 2 values per channel; a batch of \(images.shape[0]) at "
          + "\(images.shape[1])x\(images.shape[2]) leaves 1 at the last stage (use a batch of 2 or more)")
    }
    guard configuration.includeClassifier else {
      throw ModelError.invalidInput(name: "model", reason: "a headless model cannot be trained on labels")
    }
    refreshPackedWeights()
    workspace.reset()
    let timer = profiling ? LayerTimer() : nil
    defer { lastProfile = timer?.profile }
    return images.withUnsafeBufferPointer { input in
      var pass = TrainingPass(
        graph: self, batch: images.shape[0], height: images.shape[1], width: images.shape[2],
        timer: timer)
      return pass.run(input: input, labels: labels, generator: &generator)
    }
  }
}
