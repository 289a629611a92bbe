import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels

/// A classifier behind a ``BatchScheduler``: each request is one decoded image and how many classes
/// to return; concurrent requests run as one batch through one ``InferenceEngine`` and get what
/// ``ImageClassifier/classify(_:top:)`` gives for their image alone.
public final class ClassificationService: Sendable {
  /// One request: an image and the number of classes to return.
  public struct Request: Sendable {
    /// The decoded image.
    public var image: DecodedImage
    /// How many classes to return, most probable first.
    public var top: Int

    /// A request for the `top` classes of `image`.
    public init(image: DecodedImage, top: Int = 5) {
      self.image = image
      self.top = top
    }
  }

  /// The model's labels, preprocessing and prediction (read only once the service is made).
  public var classifier: ImageClassifier { box.classifier }
  private let box: ClassifierBox
  /// The batching.
  public let scheduler: BatchScheduler<Request, [Prediction]>

  /// Serves `model` with `labels` (ImageNet's for 1,000 classes when nil) and the given batching.
  public init(
    model: EfficientNet, labels: [String]? = nil, preprocessing: PreprocessingConfiguration? = nil,
    maximumBatch: Int = 8, maximumDelay: Duration = .milliseconds(5), queueLimit: Int = 64
  ) throws {
    let classifier = try ImageClassifier(model: model, labels: labels)
    if let preprocessing { classifier.preprocessing = preprocessing }
    let box = ClassifierBox(classifier: classifier, engine: InferenceEngine(model: model))
    self.box = box
    scheduler = BatchScheduler(maximumBatch: maximumBatch, maximumDelay: maximumDelay, queueLimit: queueLimit)
    {
      requests in
      let classifier = box.classifier
      let inputs = requests.map { classifier.inputTensor(for: $0.image) }
      let shape = inputs[0].shape
      let batch = Tensor(
        shape: [inputs.count] + shape.dropFirst(), values: inputs.flatMap(\.scalars))
      guard let logits = try box.engine.evaluate(batch).logits else {
        throw ModelError.invalidInput(name: "model", reason: "a headless model has no classes to predict")
      }
      let classes = logits.shape[1]
      return try requests.enumerated().map { index, request in
        let row = Tensor(
          shape: [1, classes], values: Array(logits.scalars[(index * classes)..<((index + 1) * classes)]))
        return try classifier.predictions(logits: row, top: request.top)
      }
    }
  }

  /// The `top` classes of `image`, batched with whatever else arrives meanwhile.
  public func classify(_ image: DecodedImage, top: Int = 5) async throws -> [Prediction] {
    try await scheduler.submit(Request(image: image, top: top)).output
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
