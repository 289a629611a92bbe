import Foundation

/// The optimizer families the trainer offers.
public enum OptimizerKind: String, Sendable, CaseIterable, Codable {
  /// SGD with momentum (Nesterov optional).
  case sgd
  /// RMSProp with TensorFlow semantics (the paper's).
  case rmsprop
  /// AdamW (decoupled weight decay).
  case adamw
}

/// The learning-rate schedules the trainer offers (all after a linear warm-up).
public enum ScheduleKind: String, Sendable, CaseIterable, Codable {
  /// Half a cosine to zero over the run.
  case cosine
  /// ×0.97 every 2.4 epochs, staircase (the paper's).
  case exponential
  /// The base rate throughout.
  case constant
}

/// How a training run is set up; every field has a default a user would expect.
public struct TrainingSettings: Sendable, Equatable, Codable {
  /// Passes over the training data.
  public var epochs = 10
  /// Samples per optimizer step.
  public var batchSize = 32
  /// The peak learning rate; nil: ``learningRateScaling`` at ``batchSize``.
  public var learningRate: Float?
  /// How the peak rate follows the batch size when ``learningRate`` is nil; nil: the optimizer's
  /// ``LearningRateScaling/standard(for:)`` (the paper's 0.016 × batch / 256 for RMSProp).
  public var learningRateScaling: LearningRateScaling?
  /// The optimizer.
  public var optimizer = OptimizerKind.rmsprop
  /// Momentum of SGD and RMSProp.
  public var momentum = 0.9
  /// Nesterov momentum for SGD.
  public var nesterov = false
  /// Weight decay (L2 for SGD and RMSProp, decoupled for AdamW); not applied to batch norm and biases.
  public var weightDecay = 1e-5
  /// The schedule after warm-up.
  public var schedule = ScheduleKind.cosine
  /// Linear warm-up length in epochs.
  public var warmupEpochs = 0.0
  /// Label smoothing of the loss.
  public var labelSmoothing = 0.1
  /// Clip the global gradient norm to this (nil = no clipping).
  public var gradientClipNorm: Float?
  /// Keep an exponential moving average of the weights with this decay (nil = none).
  public var averageDecay: Double?
  /// Seed of data order, augmentation, dropout and initialization.
  public var seed: UInt64 = 0
  /// Background threads that load and augment data.
  public var workers = 2
  /// Fine-tuning: epochs at the start during which only the classifier trains (the backbone gets no
  /// gradient, no update and no weight decay, and its batch norms keep their running statistics).
  public var freezeEpochs = 0
  /// Fine-tuning: batch norms normalize with their running statistics and never update them, for the
  /// whole run; their scale and shift still train (PyTorch's `eval()` batch norm, not timm's
  /// `FrozenBatchNorm2d`, which fixes those too).
  public var freezesBatchNormStatistics = false
  /// Fine-tuning: layer-wise learning-rate decay in (0, 1] (see ``LayerDecay``), or nil for none.
  public var layerDecay: Double?
  /// Fine-tuning: the learning rate of everything but the classifier, as a multiple of the classifier's.
  public var backboneLearningRateScale = 1.0
  /// Per-class weights of the loss (nil: all ones); see ``ClassWeighting/balanced(counts:)``.
  public var classWeights: [Float]?

  /// Creates the defaults.
  public init() {}

  /// The learning rate to use: the given one, or the scaling rule's for the batch size.
  public var resolvedLearningRate: Float {
    if let learningRate { return learningRate }
    return (learningRateScaling ?? .standard(for: optimizer)).rate(batchSize: batchSize)
  }

  /// Checks the ranges; throws naming the flag-like setting at fault.
  public func validate() throws {
    func check(_ ok: Bool, _ name: String, _ reason: String) throws {
      if !ok { throw TrainingError.invalidSetting(name: name, reason: reason) }
    }
    try check(epochs >= 1, "epochs", "must be at least 1, got \(epochs)")
    try check(batchSize >= 1, "batch size", "must be at least 1, got \(batchSize)")
    try check(resolvedLearningRate > 0 && resolvedLearningRate.isFinite, "learning rate", "must be > 0")
    try check(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got \(momentum)")
    try check(weightDecay >= 0, "weight decay", "must be ≥ 0, got \(weightDecay)")
    try check(warmupEpochs >= 0, "warm-up epochs", "must be ≥ 0, got \(warmupEpochs)")
    try check(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing", "must be in [0, 1)")
    if let gradientClipNorm { try check(gradientClipNorm > 0, "gradient clip norm", "must be > 0") }
    if let averageDecay { try check(averageDecay > 0 && averageDecay < 1, "EMA decay", "must be in (0, 1)") }
    try check(workers >= 0, "workers", "must be ≥ 0")
    try check(freezeEpochs >= 0, "freeze epochs", "must be ≥ 0, got \(freezeEpochs)")
    if let layerDecay {
      try check(layerDecay > 0 && layerDecay <= 1, "layer decay", "must be in (0, 1], got \(layerDecay)")
    }
    try check(
      backboneLearningRateScale >= 0 && backboneLearningRateScale.isFinite, "backbone learning-rate scale",
      "must be ≥ 0, got \(backboneLearningRateScale)")
    if let classWeights {
      try check(
        classWeights.allSatisfy { $0 >= 0 && $0.isFinite } && classWeights.contains { $0 > 0 },
        "class weights", "must be finite, ≥ 0 and not all zero")
    }
  }

  /// The settings as checkpoint metadata.
  var metadata: [String: String] {
    var values: [String: String] = [
      "settings.epochs": String(epochs), "settings.batch_size": String(batchSize),
      "settings.learning_rate": String(resolvedLearningRate), "settings.optimizer": optimizer.rawValue,
      "settings.momentum": String(momentum), "settings.nesterov": String(nesterov),
      "settings.weight_decay": String(weightDecay), "settings.schedule": schedule.rawValue,
      "settings.warmup_epochs": String(warmupEpochs), "settings.label_smoothing": String(labelSmoothing),
      "settings.seed": String(seed),
    ]
    if let gradientClipNorm { values["settings.gradient_clip_norm"] = String(gradientClipNorm) }
    if let averageDecay { values["settings.ema_decay"] = String(averageDecay) }
    values["settings.freeze_epochs"] = String(freezeEpochs)
    values["settings.freeze_batch_norm"] = String(freezesBatchNormStatistics)
    values["settings.backbone_lr_scale"] = String(backboneLearningRateScale)
    if let layerDecay { values["settings.layer_decay"] = String(layerDecay) }
    if let classWeights {
      values["settings.class_weights"] = classWeights.map { String($0) }.joined(separator: ",")
    }
    return values
  }
}
