import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels

/// A classifier behind a ``BatchScheduler``: each request is one NHWC tensor of one or more images;
/// concurrent requests of the same image size run as one batch through one ``InferenceEngine`` and
/// each gets the logits of its own rows — bit for bit what the engine gives the request alone (the
/// blocks run image by image and every matrix product sums a row in one order wherever it lies).
public final class ClassificationService: Sendable {
  /// The model's labels, preprocessing and prediction (read only once the service is made).
  public var classifier: ImageClassifier { box.classifier }
  private let box: ClassifierBox
  /// The batching: requests are NHWC inputs `[n, H, W, C]`, answers logits `[n, classes]`; a batch
  /// holds at most `maximumBatch` images.
  public let scheduler: BatchScheduler<Tensor, Tensor>

  /// Serves `model` with `labels` (ImageNet's for 1,000 classes when nil) and the given batching.
  public init(
    model: EfficientNet, labels: [String]? = nil, preprocessing: PreprocessingConfiguration? = nil,
    maximumBatch: Int = 8, maximumDelay: Duration = .milliseconds(5), queueLimit: Int = 64,
    observer: BatchObserver? = nil
  ) throws {
    let classifier = try ImageClassifier(model: model, labels: labels)
    if let preprocessing { classifier.preprocessing = preprocessing }
    let box = ClassifierBox(classifier: classifier, engine: InferenceEngine(model: model))
    self.box = box
    scheduler = BatchScheduler(
      maximumBatch: maximumBatch, maximumDelay: maximumDelay, queueLimit: queueLimit, size: { $0.shape[0] },
      observer: observer
    ) { inputs in try Self.logits(of: inputs, engine: box.engine) }
  }

  /// The input channels and the classes of the model.
  public var inputChannels: Int { classifier.configuration.inputChannels }
  /// The number of classes.
  public var classCount: Int { classifier.configuration.classCount }

  /// The `top` classes of `image`, batched with whatever else arrives meanwhile (what
  /// ``ImageClassifier/classify(_:top:)`` gives the image alone), and how long it waited for its batch.
  public func classify(_ image: DecodedImage, top: Int = 5) async throws
    -> (predictions: [Prediction], queueTime: Duration)
  {
    try ModelError.requireImageChannels(inputChannels)
    let answer = try await scheduler.submit(classifier.inputTensor(for: image))
    return (try classifier.predictions(logits: answer.output, top: top), answer.queueTime)
  }

  /// The logits `[n, classes]` of an NHWC input `[n, H, W, C]`, and how long it waited for its batch.
  public func logits(nhwc input: Tensor) async throws -> (logits: Tensor, queueTime: Duration) {
    let answer = try await scheduler.submit(input)
    return (answer.output, answer.queueTime)
  }

  /// Runs inputs of equal image size together (in order of first appearance), then hands each input
  /// its own rows.
  static func logits(of inputs: [Tensor], engine: InferenceEngine) throws -> [Tensor] {
    var outputs = [Tensor?](repeating: nil, count: inputs.count)
    var groups: [[Int]: [Int]] = [:]
    var order: [[Int]] = []
    for (index, input) in inputs.enumerated() {
      let key = Array(input.shape.dropFirst())
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(index)
    }
    for key in order {
      let members = groups[key]!
      let images = members.reduce(0) { $0 + inputs[$1].shape[0] }
      let batch = Tensor(shape: [images] + key, values: members.flatMap { inputs[$0].scalars })
      guard let logits = try engine.evaluate(batch).logits else {
        throw ModelError.invalidInput(name: "model", reason: "a headless model has no classes to predict")
      }
      let classes = logits.shape[1]
      let values = logits.scalars
      var row = 0
      for member in members {
        let count = inputs[member].shape[0]
        outputs[member] = Tensor(
          shape: [count, classes], values: Array(values[(row * classes)..<((row + count) * classes)]))
        row += count
      }
    }
    return outputs.map { $0! }
  }
}

/// The classifier (never changed after the service is made) and the engine (run by the scheduler's
/// one thread only): safe to share on those terms.
final class ClassifierBox: @unchecked Sendable {
  let classifier: ImageClassifier
  let engine: InferenceEngine

  init(classifier: ImageClassifier, engine: InferenceEngine) {
    self.classifier = classifier
    self.engine = engine
  }
}
