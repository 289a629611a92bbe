import EfficientNetServing
import Foundation
import ServiceLifecycle

/// Loads the models while the listener already answers (readiness is 503 until all are in), then
/// waits for the graceful shutdown and drains every model's queue.
struct ModelLoadingService: Service {
  let catalog: ModelCatalog
  let specifications: [ModelSpecification]
  let metrics: ServingMetrics
  let onReady: @Sendable () -> Void

  func run() async throws {
    for specification in specifications {
      let name = specification.name, metrics = metrics
      let model = try await Self.onThread {
        try specification.load { items, duration in
          metrics.batchRan(model: name, items: items, duration: duration)
        }
      }
      catalog.add(model, named: name)
    }
    onReady()
    try? await gracefulShutdown()
    for (_, model) in catalog.models { model.drain() }
  }

  /// Runs `work` on a thread of its own (loading reads and packs weights for seconds; the
  /// concurrency pool's few threads must stay free to answer requests).
  static func onThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value
  {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread { continuation.resume(with: Result { try work() }) }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }
}
