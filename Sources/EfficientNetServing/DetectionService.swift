import EfficientNetDetection
import EfficientNetImageIO

/// A detector behind a ``BatchScheduler``: concurrent requests are gathered as for classifiers and
/// run one image after another on the scheduler's thread (each with its own letterbox size), each
/// answered with what ``ObjectDetector/detect(_:minimumScore:)`` gives it alone.
public final class DetectionService: Sendable {
  /// One request: an image and the lowest score to report.
  public struct Request: Sendable {
    /// The decoded image.
    public var image: DecodedImage
    /// Objects scoring below this are left out.
    public var minimumScore: Float
  }

  private let box: DetectorBox
  /// The batching.
  public let scheduler: BatchScheduler<Request, [Detection]>

  /// Serves `model` with the given batching; `softSuppression` picks Gaussian soft-NMS.
  public init(
    model: EfficientDet, softSuppression: Bool = false, maximumBatch: Int = 8,
    maximumDelay: Duration = .milliseconds(5), queueLimit: Int = 64,
    observer: BatchObserver? = nil
  ) {
    let detector = ObjectDetector(model: model)
    if softSuppression { detector.decoding.suppression = .soft }
    let box = DetectorBox(detector: detector)
    self.box = box
    scheduler = BatchScheduler(
      maximumBatch: maximumBatch, maximumDelay: maximumDelay, queueLimit: queueLimit, observer: observer
    ) {
      requests in
      try requests.map { try box.detector.detect($0.image, minimumScore: $0.minimumScore) }
    }
  }

  /// The detector's configuration.
  public var configuration: DetectorConfiguration { box.detector.configuration }

  /// The objects in `image` scoring at least `minimumScore`, as the `detect` command reports them,
  /// and how long the request waited for its batch.
  public func detect(_ image: DecodedImage, minimumScore: Float, file: String? = nil) async throws
    -> (report: DetectionReport, queueTime: Duration)
  {
    let answer = try await scheduler.submit(Request(image: image, minimumScore: minimumScore))
    let report = DetectionReport(
      file: file, image: image, detections: answer.output, className: box.detector.className)
    return (report, answer.queueTime)
  }
}

/// The detector: its engine runs on the scheduler's one thread only; its names are read only.
final class DetectorBox: @unchecked Sendable {
  let detector: ObjectDetector

  init(detector: ObjectDetector) { self.detector = detector }
}
