import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTraining
import Foundation

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
  /// Optimizer steps taken.
  public internal(set) var step = 0
  /// The training images that could not be read, by file name (skipped with a warning, once each).
  public internal(set) var unreadableImages: [String: String] = [:]
  /// Hears about each training image that could not be read and is skipped (its path and why).
  public var warn: (String) -> Void = { _ in }

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

  /// The random stream of one epoch's shuffle (`batch` nil) or of one of its batches (its
  /// augmentation and stochastic depth): a function of the seed and the position only, so a run
  /// resumed at any batch draws what the uninterrupted run would have drawn.
  func generator(epoch: Int, batch: Int?) -> SeededGenerator {
    var mixed = settings.seed ^ 0x9E37_79B9_7F4A_7C15
    for part in [UInt64(epoch), batch.map { UInt64($0) + 1 } ?? 0] {
      mixed = (mixed ^ part) &* 0xBF58_476D_1CE4_E5B9
      mixed ^= mixed >> 31
    }
    return SeededGenerator(seed: mixed)
  }

  /// The images of an epoch in a seeded random order.
  func epochOrder(_ epoch: Int) -> [Int] {
    var order = Array(dataset.images.indices)
    var shuffling = generator(epoch: epoch, batch: nil)
    order.shuffle(using: &shuffling)
    return order
  }

  /// One epoch, from its first batch or from where `position` stopped; `shouldStop` is asked after
  /// every step, and `progress` hears after every step (steps done, steps in all, the running loss).
  ///
  /// - Returns: the epoch's record, or where it stopped when `shouldStop` said so.
  public func trainEpoch(
    _ epoch: Int, resumingAt position: DetectorEpochPosition? = nil, shouldStop: () -> Bool = { false },
    progress: (Int, Int, Double) -> Void = { _, _, _ in }
  ) throws -> DetectorEpochOutcome {
    let start = Date()
    let annotations = dataset.annotationsByImage()
    let classOf = Dictionary(
      uniqueKeysWithValues: dataset.categories.enumerated().map { ($1.identifier, $0 + 1) })
    let order = epochOrder(epoch)
    let batches = stride(from: 0, to: order.count, by: settings.batchSize).map {
      Array(order[$0..<min($0 + settings.batchSize, order.count)])
    }
    var done = position ?? DetectorEpochPosition(epoch: epoch)
    let schedule = LearningRateSchedule.warmupCosine(
      baseRate: Float(settings.learningRate), warmupEpochs: settings.warmupFraction * Double(settings.epochs),
      totalEpochs: Double(settings.epochs))
    for index in done.nextBatch..<batches.count {
      var generator = generator(epoch: epoch, batch: index)
      let samples = batches[index].compactMap { imageIndex -> DetectionSample? in
        let image = dataset.images[imageIndex]
        guard let decoded = readImage(image) else { return nil }
        let objects = (annotations[image.identifier] ?? []).filter { !$0.isCrowd }
        return settings.augmentation.sample(
          decoded, boxes: objects.map(\.box), classes: objects.map { classOf[$0.categoryIdentifier] ?? 1 },
          letterbox: letterbox, generator: &generator)
      }
      done.nextBatch = index + 1
      // Batch statistics need two images at least (effdet drops a last batch of one as well).
      if samples.count >= 2 {
        let terms = try trainStep(samples, generator: &generator, epoch: epoch, batch: index + 1)
        let rate = schedule.rate(step: step, stepsPerEpoch: batches.count)
        optimizer.step(parameters, learningRate: rate)
        step += 1
        done.add(terms, images: samples.count)
        progress(index + 1, batches.count, done.total / Double(done.steps))
      }
      if shouldStop() && index + 1 < batches.count {
        done.seconds += Date().timeIntervalSince(start)
        return .interrupted(done)
      }
    }
    done.seconds += Date().timeIntervalSince(start)
    return .finished(done.record)
  }

  /// The decoded training image, or nil (with a warning the first time) when it cannot be read.
  private func readImage(_ image: COCOImage) -> DecodedImage? {
    let path = dataset.path(of: image)
    if unreadableImages[image.fileName] != nil { return nil }
    do {
      return try ImageDecoder.decode(contentsOf: path)
    } catch {
      unreadableImages[image.fileName] = "\(error)"
      warn("skipping training image \(path.path): \(error)")
      return nil
    }
  }

  /// Forward, loss and backward of one batch; the gradients are left for the optimizer.
  private func trainStep(
    _ samples: [DetectionSample], generator: inout SeededGenerator, epoch: Int, batch: Int
  )
    throws -> (total: Double, classLoss: Double, boxLoss: Double)
  {
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
      throw DetectorTrainingError.nonFiniteLoss(epoch: epoch, step: batch)
    }
    return terms
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
  /// A checkpoint's detector state is unreadable (what is wrong).
  case invalidCheckpoint(String)

  public var description: String {
    switch self {
    case .nonFiniteLoss(let epoch, let step):
      return "the loss is not finite at epoch \(epoch), step \(step); lower --lr"
    case .invalidCheckpoint(let reason):
      return "the checkpoint's detector state is unreadable: \(reason)"
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
