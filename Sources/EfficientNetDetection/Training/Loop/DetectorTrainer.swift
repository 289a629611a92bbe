import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTraining
import Foundation

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
  /// Seconds the epoch took, evaluation included.
  public var seconds: Double
}

/// The settings of a detector run.
public struct DetectorTrainingSettings: Sendable {
  /// Epochs, images per step.
  public var epochs = 10, batchSize = 8
  /// AdamW's peak rate, weight decay; the warm-up as a fraction of the run; cosine decay to 0.
  public var learningRate = 1e-3, weightDecay = 1e-4, warmupFraction = 0.1
  /// The augmentation (effdet's scale jitter and flip by default).
  public var augmentation = DetectionAugmentation()
  /// Seeds shuffling, augmentation and initialization.
  public var seed: UInt64 = 0

  /// The defaults.
  public init() {}
}

/// The loss of a batch's head outputs against its samples, and its gradients.
public typealias DetectionLossFunction = (DetectorOutput, [DetectionSample]) -> (
  total: Double, classLoss: Double, boxLoss: Double, gradients: HeadGradients
)

/// Trains an EfficientDet on a COCO-format dataset: effdet's augmentation, its targets and loss,
/// AdamW with warm-up and cosine decay, COCO AP on a validation set after each epoch.
public final class DetectorTrainer {
  /// The graph being trained.
  public let graph: DetectorTrainingGraph
  /// The settings.
  public let settings: DetectorTrainingSettings
  let dataset: COCODataset
  let letterbox: Letterbox
  let loss: DetectionLossFunction
  let parameters: [TrainableParameter]
  var optimizer: AdamW
  var generator: SeededGenerator
  var step = 0

  /// A trainer for `model` on `dataset` with `loss`.
  public init(
    model: EfficientDet, dataset: COCODataset, settings: DetectorTrainingSettings,
    loss: @escaping DetectionLossFunction
  ) {
    graph = DetectorTrainingGraph(model: model)
    self.settings = settings
    self.dataset = dataset
    letterbox = Letterbox(configuration: model.configuration)
    self.loss = loss
    optimizer = AdamW(weightDecay: settings.weightDecay)
    generator = SeededGenerator(seed: settings.seed)
    parameters = Self.parameters(of: graph)
  }

  /// What the optimizer updates: the backbone's trainable tensors (its classifier and head conv left
  /// out, as the detector never uses them) under effdet's names, then the feature network's and heads'.
  /// Convolution and linear weights decay; biases and batch-norm parameters do not.
  public static func parameters(of graph: DetectorTrainingGraph) -> [TrainableParameter] {
    let backbone = graph.backbone.parameters
    var parameters = backbone.specs.filter {
      $0.role.isTrainable && $0.layer.role != .head && $0.layer.role != .classifier
    }
    .map { spec in
      TrainableParameter(
        name: DetectorLayout.backbonePrefix + spec.name, shape: spec.shape,
        valueBuffer: backbone.values[spec.name]!.buffer,
        gradientBuffer: backbone.gradients[spec.name]!.buffer,
        decays: TrainableParameter.decaysByDefault(name: spec.name, shape: spec.shape), owner: backbone)
    }
    let own = graph.parameters
    for parameter in own.parameters where parameter.isTrainable {
      parameters.append(
        TrainableParameter(
          name: parameter.name, shape: parameter.shape, valueBuffer: own.values[parameter.name]!.buffer,
          gradientBuffer: own.gradients[parameter.name]!.buffer,
          decays: parameter.role == .weight && parameter.shape.count == 4, owner: own))
    }
    return parameters
  }

  /// The batches of an epoch: the images in a seeded random order.
  func epochOrder() -> [Int] {
    var order = Array(dataset.images.indices)
    order.shuffle(using: &generator)
    return order
  }

  /// One epoch; `progress` hears after every step (steps done, steps in all, the running loss).
  public func trainEpoch(_ epoch: Int, progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws
    -> DetectorEpochRecord
  {
    let start = Date()
    let annotations = dataset.annotationsByImage()
    let classOf = Dictionary(
      uniqueKeysWithValues: dataset.categories.enumerated().map { ($1.identifier, $0 + 1) })
    let order = epochOrder()
    let batches = stride(from: 0, to: order.count, by: settings.batchSize).map {
      Array(order[$0..<min($0 + settings.batchSize, order.count)])
    }
    var sums = (total: 0.0, classLoss: 0.0, boxLoss: 0.0)
    var stepsTaken = 0
    let schedule = LearningRateSchedule.warmupCosine(
      baseRate: Float(settings.learningRate), warmupEpochs: settings.warmupFraction * Double(settings.epochs),
      totalEpochs: Double(settings.epochs))
    for (index, batch) in batches.enumerated() where batch.count >= 2 {
      let samples = try batch.map { imageIndex -> DetectionSample in
        let image = dataset.images[imageIndex]
        let decoded = try ImageDecoder.decode(contentsOf: dataset.path(of: image))
        let objects = (annotations[image.identifier] ?? []).filter { !$0.isCrowd }
        return settings.augmentation.sample(
          decoded, boxes: objects.map(\.box), classes: objects.map { classOf[$0.categoryIdentifier] ?? 1 },
          letterbox: letterbox, generator: &generator)
      }
      let images = Tensor(
        shape: [samples.count, letterbox.height, letterbox.width, 3], values: samples.flatMap(\.pixels))
      graph.zeroGradients()
      var terms = (total: 0.0, classLoss: 0.0, boxLoss: 0.0)
      _ = try graph.step(images: images, generator: &generator) { output in
        let result = loss(output, samples)
        terms = (result.total, result.classLoss, result.boxLoss)
        return (result.total, result.gradients)
      }
      guard terms.total.isFinite else {
        throw DetectorTrainingError.nonFiniteLoss(epoch: epoch, step: index + 1)
      }
      let rate = schedule.rate(step: step, stepsPerEpoch: batches.count)
      optimizer.step(parameters, learningRate: rate)
      step += 1
      stepsTaken += 1
      sums = (sums.total + terms.total, sums.classLoss + terms.classLoss, sums.boxLoss + terms.boxLoss)
      progress(index + 1, batches.count, sums.total / Double(stepsTaken))
    }
    let steps = Double(max(1, stepsTaken))
    let seconds = Date().timeIntervalSince(start)
    return DetectorEpochRecord(
      epoch: epoch, loss: sums.total / steps, classLoss: sums.classLoss / steps,
      boxLoss: sums.boxLoss / steps,
      imagesPerSecond: Double(order.count) / max(seconds, 1e-9), validationAP: nil, validationAP50: nil,
      seconds: seconds)
  }

  /// The current detector.
  public func model() throws -> EfficientDet { try graph.model() }

  /// COCO evaluation of the current detector on `validation`.
  public func evaluate(on validation: COCODataset) throws -> COCOEvaluation {
    let detector = ObjectDetector(model: try model(), classNames: validation.categories.map(\.name))
    var records: [COCODetectionRecord] = []
    for image in validation.images {
      let decoded = try ImageDecoder.decode(contentsOf: validation.path(of: image))
      records += COCODetectionRecord.records(
        try detector.detect(decoded), imageIdentifier: image.identifier, dataset: validation)
    }
    return COCOEvaluation(groundTruth: validation, detections: records)
  }
}

/// Errors of a detector run.
public enum DetectorTrainingError: Error, CustomStringConvertible {
  /// The loss overflowed.
  case nonFiniteLoss(epoch: Int, step: Int)

  public var description: String {
    switch self {
    case .nonFiniteLoss(let epoch, let step):
      return "the loss is not finite at epoch \(epoch), step \(step); lower --lr"
    }
  }
}

extension DetectorTrainer {
  /// effdet's targets and loss for `model` at its input size: ``AnchorLabeler`` (IoU 0.5, each box
  /// force-matched to its best anchor) and ``DetectionLoss`` (focal α 0.25 γ 1.5, Huber δ 0.1 × 50).
  public static func standardLoss(for model: EfficientDet) -> DetectionLossFunction {
    let configuration = model.configuration
    let labeler = AnchorLabeler(
      layout: model.layout, height: configuration.inputHeight, width: configuration.inputWidth)
    let loss = DetectionLoss(classCount: configuration.classCount)
    return { output, samples in
      let labels = samples.map { labeler.labels(boxes: $0.boxes, classes: $0.classes) }
      let result = loss.evaluate(output, labels: labels)
      return (
        result.total, result.classLoss, result.boxLoss,
        HeadGradients(classGradients: result.classGradients, boxGradients: result.boxGradients)
      )
    }
  }
}
