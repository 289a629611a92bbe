import EfficientNetCore
import EfficientNetFiles
import EfficientNetKernels
import EfficientNetModels
import Foundation

/// Progress of a running training, reported after every step.
public struct TrainingProgress: Sendable {
  /// Current epoch (0-based) and batch within it, and the batches per epoch.
  public var epoch: Int, batch: Int, batchesPerEpoch: Int
  /// Running mean loss and accuracy over the epoch so far.
  public var loss: Double, accuracy: Double
  /// Training throughput so far this epoch.
  public var imagesPerSecond: Double
  /// The learning rate of the last step.
  public var learningRate: Float
}

/// How a training run ended.
public enum TrainingOutcome: Sendable, Equatable {
  /// Every epoch ran.
  case completed
  /// An interruption (Ctrl-C) stopped it after a step; the checkpoint holds that step.
  case interrupted(epoch: Int, batch: Int)
}

/// Trains an EfficientNet: data → forward/backward → clipping → optimizer → weight average, with a
/// checkpoint and a metrics line after every epoch, and a checkpoint on interruption.
public final class Trainer {
  /// The model being trained.
  public let graph: TrainingGraph
  /// The settings.
  public let settings: TrainingSettings
  let trainingData: DataLoader
  let validationData: DataLoader?
  let directory: URL
  let parameters: [TrainableParameter]
  /// The classifier's parameters: all that trains while the backbone is frozen.
  let classifierParameters: [TrainableParameter]
  var optimizer: any Optimizer
  let schedule: LearningRateSchedule
  let average: ExponentialMovingAverage?
  var epoch = 0
  var batchInEpoch = 0
  var step = 0
  /// The current epoch's running totals (kept in checkpoints so a resumed epoch reports the same).
  var lossSum = 0.0
  var correct = 0
  var seen = 0
  var epochSeconds = 0.0

  /// The checkpoint file in the output folder.
  public var checkpointURL: URL { directory.appendingPathComponent("checkpoint.safetensors") }
  /// The metrics log in the output folder.
  public var metricsURL: URL { directory.appendingPathComponent("metrics.jsonl") }

  /// Prepares a run (`resume` continues from the checkpoint in `directory` when there is one).
  public init(
    model: EfficientNet, settings: TrainingSettings, trainingData: DataLoader, validationData: DataLoader?,
    directory: URL, resume: Bool
  ) throws {
    try settings.validate()
    self.settings = settings
    self.trainingData = trainingData
    self.validationData = validationData
    self.directory = directory
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw TrainingError.cannotWrite(directory.path, reason: "cannot create the output folder (\(error))")
    }
    graph = TrainingGraph(model: model)
    graph.labelSmoothing = settings.labelSmoothing
    graph.freezesBatchNormStatistics = settings.freezesBatchNormStatistics
    if let weights = settings.classWeights {
      guard weights.count == model.configuration.classCount else {
        throw TrainingError.invalidSetting(
          name: "class weights",
          reason: "\(weights.count) weights for a model with \(model.configuration.classCount) classes")
      }
      graph.classWeights = weights
    }
    (parameters, classifierParameters) = Self.trainableParameters(of: graph, settings: settings)
    optimizer = Self.makeOptimizer(settings)
    let rate = settings.resolvedLearningRate
    switch settings.schedule {
    case .cosine:
      schedule = .warmupCosine(
        baseRate: rate, warmupEpochs: settings.warmupEpochs, totalEpochs: Double(settings.epochs))
    case .exponential:
      schedule = .warmupExponential(baseRate: rate, warmupEpochs: settings.warmupEpochs)
    case .constant:
      schedule =
        settings.warmupEpochs > 0
        ? .warmupExponential(baseRate: rate, warmupEpochs: settings.warmupEpochs, decayRate: 1)
        : .constant(rate: rate)
    }
    let store = graph.parameters
    if let decay = settings.averageDecay {
      // TensorFlow's warm-up (decay min(d, (1 + n)/(10 + n))) keeps early averages from being dominated
      // by the random initial weights, as in the paper's code.
      average = ExponentialMovingAverage(
        decay: decay, warmup: .tensorFlow, names: store.specs.map(\.name),
        values: store.specs.map { store.values[$0.name]!.array }
      )
    } else {
      average = nil
    }
    if resume && FileManager.default.fileExists(atPath: checkpointURL.path) {
      // Temporary files a killed run left behind are never read; remove them.
      AtomicFile.removeLeftovers(in: directory)
      try restore(from: TrainingCheckpoint(contentsOf: checkpointURL))
    }
  }

  /// More checkpoint metadata (``TrainingRun`` stores its recipe here, a command line its arguments).
  public var extraMetadata: [String: String] = [:]

  /// Every completed epoch's record, in order (those of earlier sessions of a resumed run included,
  /// as ``run(progress:epochEnded:)`` finds them in `metrics.jsonl`).
  public private(set) var history: [EpochRecord] = []

  /// Where the run stands: epochs completed plus batches into the current one.
  public var position: (epoch: Int, batch: Int, step: Int) { (epoch, batchInEpoch, step) }

  /// Runs until every epoch is done or an interruption is requested.
  ///
  /// - Parameters:
  ///   - progress: called after every step.
  ///   - epochEnded: called with each epoch's metrics record (also appended to `metrics.jsonl`).
  /// - Throws: ``TrainingError/nonFiniteLoss(epoch:step:loss:)`` (the last good checkpoint stays),
  ///   or a file error.
  public func run(
    progress: (TrainingProgress) -> Void = { _ in }, epochEnded: (EpochRecord) -> Void = { _ in }
  ) throws -> TrainingOutcome {
    let log = try MetricsLog(url: metricsURL)
    try log.truncate(afterEpoch: epoch - 1)
    history = log.records()
    let batches = trainingData.batchCount
    while epoch < settings.epochs {
      let started = Date().addingTimeInterval(-epochSeconds)
      // The phase follows from the epoch alone, so a resumed run freezes exactly as the original did.
      graph.trainsBackbone = epoch >= settings.freezeEpochs
      let active = graph.trainsBackbone ? parameters : classifierParameters
      for batch in trainingData.batches(epoch: epoch, startingAt: batchInEpoch) {
        if batch.labels.isEmpty { continue }
        graph.parameters.zeroGradients()
        var generator = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9 &* UInt64(step + 1))
        let result = try graph.step(images: batch.images, labels: batch.labels, generator: &generator)
        guard result.loss.isFinite else {
          throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, loss: result.loss)
        }
        if let maxNorm = settings.gradientClipNorm { _ = clipGradientNorm(active, maxNorm: maxNorm) }
        let rate = schedule.rate(step: step, stepsPerEpoch: batches)
        optimizer.step(active, learningRate: rate)
        average?.update(sources: graph.parameters.specs.map { graph.parameters.values[$0.name]!.readable })
        step += 1
        batchInEpoch = batch.index + 1
        lossSum += result.loss * Double(batch.labels.count)
        correct += result.correct
        seen += batch.labels.count
        let elapsed = Date().timeIntervalSince(started)
        progress(
          TrainingProgress(
            epoch: epoch, batch: batchInEpoch, batchesPerEpoch: batches, loss: lossSum / Double(seen),
            accuracy: Double(correct) / Double(seen),
            imagesPerSecond: elapsed > 0 ? Double(seen) / elapsed : 0,
            learningRate: rate))
        if Interruption.isRequested {
          epochSeconds = Date().timeIntervalSince(started)
          try saveCheckpoint()
          return .interrupted(epoch: epoch, batch: batchInEpoch)
        }
      }
      guard seen > 0 else {
        // Every sample of the epoch failed to load: there is nothing to train on.
        let examples = trainingData.failures.prefix(3).map { "\($0.source): \($0.message)" }
        throw TrainingError.invalidSetting(
          name: "training data",
          reason: "none of the \(trainingData.indices.count) training samples could be loaded"
            + (examples.isEmpty ? "" : "; for example " + examples.joined(separator: "; ")))
      }
      let seconds = Date().timeIntervalSince(started)
      var record = EpochRecord(
        epoch: epoch, step: step, trainingLoss: seen > 0 ? lossSum / Double(seen) : 0,
        trainingAccuracy: seen > 0 ? Double(correct) / Double(seen) : 0,
        learningRate: Double(schedule.rate(step: max(0, step - 1), stepsPerEpoch: batches)),
        seconds: seconds, imagesPerSecond: seconds > 0 ? Double(seen) / seconds : 0,
        activationBytes: graph.activationBytes, backboneFrozen: !graph.trainsBackbone)
      if let validationData {
        let metrics = try Evaluation.run(
          model: try graph.model(), data: validationData,
          recordingScores: validationData.indices.count * graph.architecture.configuration.classCount
            <= 4_000_000)
        record.validationLoss = metrics.meanLoss
        record.validationTop1 = metrics.top1
        record.validationTop5 = metrics.top5
        record.validationAUC = metrics.rocAUC?.macroAverage
        if let average {
          let averaged = try evaluate(model: try averagedModel(average), data: validationData)
          record.averagedValidationTop1 = averaged.top1
        }
      }
      epoch += 1
      batchInEpoch = 0
      (lossSum, correct, seen, epochSeconds) = (0, 0, 0, 0)
      try saveCheckpoint(completing: record, in: log)
      history.append(record)
      epochEnded(record)
    }
    return .completed
  }

  /// Evaluates `model` on every batch of `data` (no augmentation expected).
  public func evaluate(model: EfficientNet, data: DataLoader) throws -> EvaluationMetrics {
    try Evaluation.run(model: model, data: data)
  }

  func averagedModel(_ average: ExponentialMovingAverage) throws -> EfficientNet {
    var tensors: [String: Tensor] = [:]
    for spec in graph.parameters.specs {
      tensors[spec.name] = Tensor(shape: spec.shape, values: average.shadow(named: spec.name)!)
    }
    return try EfficientNet(architecture: graph.architecture, tensors: tensors, source: "weight average")
  }

  /// Writes `model.safetensors` (weights alone; plus `model_ema.safetensors` with an average), then
  /// appends a finished epoch's `record` to `log`, then writes `checkpoint.safetensors` (full state),
  /// each atomically. The checkpoint is written last: it is the commit of the epoch. A run killed
  /// before it resumes from the previous checkpoint, which drops the extra metrics line and rewrites
  /// the weights, so the three files always agree once the checkpoint says an epoch is done.
  func saveCheckpoint(completing record: EpochRecord? = nil, in log: MetricsLog? = nil) throws {
    var state = optimizer.state.tensors(prefix: "optimizer.")
    var metadata = optimizer.state.metadata(prefix: "optimizer.").merging(settings.metadata) { $1 }
    metadata.merge(extraMetadata) { $1 }
    metadata["model"] = graph.architecture.configuration.name
    if let average {
      state.merge(average.state.tensors(prefix: "ema.")) { $1 }
      metadata.merge(average.state.metadata(prefix: "ema.")) { $1 }
    }
    metadata["batch_in_epoch"] = String(batchInEpoch)
    metadata["epoch_loss_sum"] = String(lossSum)
    metadata["epoch_correct"] = String(correct)
    metadata["epoch_seen"] = String(seen)
    metadata["epoch_seconds"] = String(epochSeconds)
    let checkpoint = TrainingCheckpoint(
      model: graph.parameters.tensors(), state: state, epoch: epoch, step: step, metadata: metadata)
    let classNames = trainingData.dataset.classNames
    try graph.model().safeTensors(as: .float32, classNames: classNames).write(
      to: directory.appendingPathComponent("model.safetensors"))
    if let average {
      try averagedModel(average).safeTensors(as: .float32, classNames: classNames).write(
        to: directory.appendingPathComponent("model_ema.safetensors"))
    }
    if let record, let log { try log.append(record) }
    try checkpoint.write(to: checkpointURL)
  }

  func restore(from checkpoint: TrainingCheckpoint) throws {
    let path = checkpointURL.path
    for spec in graph.parameters.specs {
      guard let tensor = checkpoint.model[spec.name], tensor.shape == spec.shape else {
        throw TrainingError.invalidCheckpoint(
          path, reason: "tensor '\(spec.name)' is missing or misshapen (is it from another model?)")
      }
      tensor.withUnsafeBufferPointer {
        _ = graph.parameters.values[spec.name]!.buffer.update(fromContentsOf: $0)
      }
    }
    let optimizerState = try OptimizerState(
      tensors: checkpoint.state, tensorPrefix: "optimizer.", metadata: checkpoint.metadata,
      metadataPrefix: "optimizer.")
    try optimizer.restore(optimizerState, parameters: parameters)
    if let average {
      try average.restore(
        try OptimizerState(
          tensors: checkpoint.state, tensorPrefix: "ema.", metadata: checkpoint.metadata,
          metadataPrefix: "ema."))
    }
    epoch = checkpoint.epoch
    step = checkpoint.step
    batchInEpoch = Int(checkpoint.metadata["batch_in_epoch"] ?? "0") ?? 0
    lossSum = Double(checkpoint.metadata["epoch_loss_sum"] ?? "0") ?? 0
    correct = Int(checkpoint.metadata["epoch_correct"] ?? "0") ?? 0
    seen = Int(checkpoint.metadata["epoch_seen"] ?? "0") ?? 0
    epochSeconds = Double(checkpoint.metadata["epoch_seconds"] ?? "0") ?? 0
  }
}
