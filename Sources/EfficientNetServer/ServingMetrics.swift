import Prometheus
import Synchronization

/// The server's Prometheus metrics, `GET /metrics` in the text exposition format: requests by model
/// and status, request and queue latency, batch sizes, and inference vs execution counts (as Triton
/// names them: images answered vs runs of the model).
public final class ServingMetrics: Sendable {
  /// The registry the metrics live in.
  public let registry = PrometheusCollectorRegistry()
  private static let latencyBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
    .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2),
    .seconds(5), .seconds(10),
  ]
  private static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]
  private let received = Atomic<Int>(0), answered = Atomic<Int>(0)

  /// Requests received so far.
  public var receivedCount: Int { received.load(ordering: .relaxed) }
  /// Requests answered so far, whatever their status.
  public var answeredCount: Int { answered.load(ordering: .relaxed) }

  /// A request arrived.
  func requestStarted() { received.add(1, ordering: .relaxed) }

  /// An empty set of metrics.
  public init() {}

  /// A request for `model` (`-` when it named none) answered with `status` after `duration`.
  func requestFinished(model: String, status: Int, duration: Duration) {
    answered.add(1, ordering: .relaxed)
    registry.makeCounter(
      descriptor: Self.descriptor("requests", unit: "total", "Requests answered, by model and HTTP status."),
      labels: [("model", model), ("status", String(status))]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: Self.descriptor("request_duration", unit: "seconds", "Time from request to answer."),
      labels: [("model", model)], buckets: Self.latencyBuckets
    ).record(duration)
  }

  /// A request for `model` waited `duration` in its queue before its batch ran.
  func queued(model: String, duration: Duration) {
    registry.makeDurationHistogram(
      descriptor: Self.descriptor("queue_duration", unit: "seconds", "Time a request waited for its batch."),
      labels: [("model", model)], buckets: Self.latencyBuckets
    ).record(duration)
  }

  /// A run of `model` over `items` images that took `duration`.
  func batchRan(model: String, items: Int, duration: Duration) {
    registry.makeDurationHistogram(
      descriptor: Self.descriptor("batch_duration", unit: "seconds", "Time one run of a model took."),
      labels: [("model", model)], buckets: Self.latencyBuckets
    ).record(duration)
    registry.makeValueHistogram(
      descriptor: Self.descriptor("batch_size", unit: "images", "Images per run of a model."),
      labels: [("model", model)], buckets: Self.batchBuckets
    ).record(Double(items))
    registry.makeCounter(
      descriptor: Self.descriptor(
        "inference_count", unit: "total", "Images answered (Triton's inference count)."),
      labels: [("model", model)]
    ).increment(by: Int64(items))
    registry.makeCounter(
      descriptor: Self.descriptor(
        "execution_count", unit: "total", "Runs of the model (Triton's execution count)."),
      labels: [("model", model)]
    ).increment()
  }

  /// The metrics as Prometheus text, with each model's current queue depth.
  func exposition(queueDepths: [(model: String, depth: Int)]) -> String {
    for (model, depth) in queueDepths {
      registry.makeGauge(
        descriptor: Self.descriptor("queue_depth", unit: "requests", "Requests waiting for a batch now."),
        labels: [("model", model)]
      ).set(Double(depth))
    }
    return registry.emitToString()
  }

  private static func descriptor(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(namespace: "efficientnet", metricName: name, unitName: unit, helpText: help)
  }
}
