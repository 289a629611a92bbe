/// What one epoch of detector training measured.
public struct DetectorEpochRecord: Codable, Sendable {
  /// The epoch, 1-based.
  public var epoch: Int
  /// Mean total, class and box loss over the epoch's steps.
  public var loss: Double, classLoss: Double, boxLoss: Double
  /// Training images per second.
  public var imagesPerSecond: Double
  /// COCO's AP@[.5:.95] and AP50 on the validation set (nil without one).
  public var validationAP: Double?, validationAP50: Double?
  /// Seconds the epoch's training took (evaluation not included).
  public var seconds: Double
}

/// How far an epoch got: the next batch to train and the sums its record is made of, so an
/// interrupted epoch can be finished later with the same record.
public struct DetectorEpochPosition: Equatable, Sendable {
  /// The epoch, 1-based.
  public var epoch: Int
  /// The first batch (0-based, in the epoch's order) not yet trained.
  public var nextBatch = 0
  /// Steps taken and images trained on in this epoch.
  public var steps = 0, images = 0
  /// Sums over the steps of the total, class and box loss.
  public var total = 0.0, classLoss = 0.0, boxLoss = 0.0
  /// Seconds spent training this epoch so far.
  public var seconds = 0.0

  /// The start of `epoch`.
  public init(epoch: Int) { self.epoch = epoch }

  /// Adds one step's loss terms over `images` images.
  mutating func add(_ terms: (total: Double, classLoss: Double, boxLoss: Double), images: Int) {
    steps += 1
    self.images += images
    total += terms.total
    classLoss += terms.classLoss
    boxLoss += terms.boxLoss
  }

  /// The epoch's record (without validation).
  var record: DetectorEpochRecord {
    let count = Double(max(1, steps))
    return DetectorEpochRecord(
      epoch: epoch, loss: total / count, classLoss: classLoss / count, boxLoss: boxLoss / count,
      imagesPerSecond: Double(images) / max(seconds, 1e-9), validationAP: nil, validationAP50: nil,
      seconds: seconds)
  }

  /// The position as checkpoint metadata (`detector.position.*`).
  var metadata: [String: String] {
    let values: [String: any CustomStringConvertible] = [
      "epoch": epoch, "nextBatch": nextBatch, "steps": steps, "images": images, "total": total,
      "classLoss": classLoss, "boxLoss": boxLoss, "seconds": seconds,
    ]
    return Dictionary(uniqueKeysWithValues: values.map { (Self.prefix + $0.key, $0.value.description) })
  }

  static let prefix = "detector.position."

  /// The position stored in checkpoint metadata; nil when none is (the last epoch had finished).
  ///
  /// - Throws: ``DetectorTrainingError/invalidCheckpoint(_:)`` naming a value that does not parse.
  init?(metadata: [String: String]) throws {
    guard metadata[Self.prefix + "epoch"] != nil else { return nil }
    func integer(_ key: String) throws -> Int {
      guard let value = metadata[Self.prefix + key].flatMap(Int.init), value >= 0 else {
        throw DetectorTrainingError.invalidCheckpoint("\(Self.prefix)\(key) is not a count")
      }
      return value
    }
    func number(_ key: String) throws -> Double {
      guard let value = metadata[Self.prefix + key].flatMap(Double.init), value.isFinite else {
        throw DetectorTrainingError.invalidCheckpoint("\(Self.prefix)\(key) is not a number")
      }
      return value
    }
    epoch = try integer("epoch")
    nextBatch = try integer("nextBatch")
    steps = try integer("steps")
    images = try integer("images")
    total = try number("total")
    classLoss = try number("classLoss")
    boxLoss = try number("boxLoss")
    seconds = try number("seconds")
  }
}

/// How a call to ``DetectorTrainer/trainEpoch(_:resumingAt:shouldStop:progress:)`` ended.
public enum DetectorEpochOutcome: Sendable {
  /// The epoch ran to its end.
  case finished(DetectorEpochRecord)
  /// It stopped when asked to, before its last batch.
  case interrupted(DetectorEpochPosition)
}
