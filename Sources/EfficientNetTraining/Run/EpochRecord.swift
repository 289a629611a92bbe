import Foundation

/// What one epoch of training measured: one line of `metrics.jsonl`.
public struct EpochRecord: Sendable, Equatable, Codable {
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

  /// The keys of `metrics.jsonl`.
  enum CodingKeys: String, CodingKey {
    case epoch, step
    case trainingLoss = "train_loss", trainingAccuracy = "train_accuracy", learningRate = "learning_rate"
    case seconds, imagesPerSecond = "images_per_second", activationBytes = "activation_bytes"
    case backboneFrozen = "backbone_frozen", validationLoss = "val_loss", validationTop1 = "val_top1"
    case validationTop5 = "val_top5", validationAUC = "val_auc", averagedValidationTop1 = "val_ema_top1"
  }

  /// Reads one line of `metrics.jsonl` exactly (`JSONDecoder`; Foundation's `JSONSerialization`
  /// rounds some doubles wrongly on Linux); nil when it is not a record.
  public init?(line: some StringProtocol) {
    guard let record = try? JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)) else { return nil }
    self = record
  }
}
