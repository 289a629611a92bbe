import Foundation

/// What one epoch of training measured: one line of `metrics.jsonl`.
public struct EpochRecord: Sendable, Equatable {
  /// The epoch (0-based) and the optimizer steps taken by its end.
  public var epoch: Int, step: Int
  /// Mean training loss and accuracy over the epoch.
  public var trainingLoss: Double, trainingAccuracy: Double
  /// The learning rate of the epoch's last step.
  public var learningRate: Double
  /// Wall-clock seconds of the epoch's steps, and training images per second.
  public var seconds: Double, imagesPerSecond: Double
  /// Bytes held for saved activations and their gradients.
  public var activationBytes: Int
  /// Whether only the classifier trained (``TrainingSettings/freezeEpochs``).
  public var backboneFrozen: Bool
  /// Validation loss, top-1 and top-5 accuracy; nil without validation data.
  public var validationLoss: Double?, validationTop1: Double?, validationTop5: Double?
  /// Validation macro ROC AUC where defined.
  public var validationAUC: Double?
  /// Validation top-1 of the weight average, with ``TrainingSettings/averageDecay``.
  public var averagedValidationTop1: Double?

  /// Creates a record from its measurements.
  public init(
    epoch: Int, step: Int, trainingLoss: Double, trainingAccuracy: Double, learningRate: Double,
    seconds: Double, imagesPerSecond: Double, activationBytes: Int, backboneFrozen: Bool
  ) {
    self.epoch = epoch
    self.step = step
    self.trainingLoss = trainingLoss
    self.trainingAccuracy = trainingAccuracy
    self.learningRate = learningRate
    self.seconds = seconds
    self.imagesPerSecond = imagesPerSecond
    self.activationBytes = activationBytes
    self.backboneFrozen = backboneFrozen
  }

  /// The record as `metrics.jsonl` writes it (keys as timm's logs name them; absent values left out).
  public var jsonObject: [String: Any] {
    var object: [String: Any] = [
      "epoch": epoch, "step": step, "train_loss": trainingLoss, "train_accuracy": trainingAccuracy,
      "learning_rate": learningRate, "seconds": seconds, "images_per_second": imagesPerSecond,
      "activation_bytes": activationBytes, "backbone_frozen": backboneFrozen,
    ]
    object["val_loss"] = validationLoss
    object["val_top1"] = validationTop1
    object["val_top5"] = validationTop5
    object["val_auc"] = validationAUC
    object["val_ema_top1"] = averagedValidationTop1
    return object
  }

  /// Reads a record written by ``jsonObject``; nil when a required key is missing.
  public init?(jsonObject object: [String: Any]) {
    guard let epoch = object["epoch"] as? Int, let step = object["step"] as? Int,
      let loss = object["train_loss"] as? Double, let accuracy = object["train_accuracy"] as? Double
    else { return nil }
    self.init(
      epoch: epoch, step: step, trainingLoss: loss, trainingAccuracy: accuracy,
      learningRate: object["learning_rate"] as? Double ?? 0, seconds: object["seconds"] as? Double ?? 0,
      imagesPerSecond: object["images_per_second"] as? Double ?? 0,
      activationBytes: object["activation_bytes"] as? Int ?? 0,
      backboneFrozen: object["backbone_frozen"] as? Bool ?? false)
    validationLoss = object["val_loss"] as? Double
    validationTop1 = object["val_top1"] as? Double
    validationTop5 = object["val_top5"] as? Double
    validationAUC = object["val_auc"] as? Double
    averagedValidationTop1 = object["val_ema_top1"] as? Double
  }
}
