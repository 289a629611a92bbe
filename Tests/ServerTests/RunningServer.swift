import EfficientNetDetection
import EfficientNetModels
import EfficientNetServer
import EfficientNetServing
import EfficientNetTestSupport
import Foundation
import Synchronization

/// An ``InferenceServer`` running in the test process on a free port of 127.0.0.1, stopped as
/// SIGTERM would stop it.
final class RunningServer: Sendable {
  let server: InferenceServer
  let client: HTTPTestClient
  private let shutdown = ShutdownHandle()
  private let task: Task<Void, any Error>

  /// Starts `server` and waits until it listens (and, when `waitForReady`, until its models loaded).
  init(_ server: InferenceServer, waitForReady: Bool = true) async throws {
    self.server = server
    let (listening, listeningContinuation) = AsyncStream<Int>.makeStream()
    let ready = Mutex(false)
    let shutdown = shutdown
    task = Task {
      try await server.run(
        onListening: { listeningContinuation.yield($0) }, onReady: { ready.withLock { $0 = true } },
        shutdown: shutdown)
    }
    var iterator = listening.makeAsyncIterator()
    guard let port = await iterator.next() else {
      throw HTTPTestClient.Failure(description: "never listened")
    }
    client = HTTPTestClient(port: port)
    let deadline = ContinuousClock.now + .seconds(60)
    while waitForReady, !ready.withLock({ $0 }), ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  /// Stops the server and waits for `run` to return (rethrowing what it threw).
  func stop() async throws {
    await shutdown.trigger()
    try await task.value
  }

  /// Options for tests: a free port, and the given batching.
  static func options(maximumBatch: Int = 8, delay: Duration = .milliseconds(5), queueLimit: Int = 64)
    -> ServerOptions
  {
    var options = ServerOptions()
    options.port = 0
    options.maximumBatch = maximumBatch
    options.maximumDelay = delay
    options.queueLimit = queueLimit
    return options
  }

  /// The shipped Lite0 as a served classifier named `efficientnet_lite0`.
  static func lite0(options: ServerOptions) -> ModelSpecification {
    ModelSpecification(name: "efficientnet_lite0") { observer in
      .classifier(
        try ClassificationService(
          model: try ImageClassifier.pretrainedLite0Model(), maximumBatch: options.maximumBatch,
          maximumDelay: options.maximumDelay, queueLimit: options.queueLimit, observer: observer))
    }
  }

  /// A Lite0 detector at 128×128 with deterministic weights, named `detector`.
  static func detector(options: ServerOptions) -> ModelSpecification {
    ModelSpecification(name: "detector") { observer in
      .detector(
        DetectionService(
          model: try DeterministicDetectors.detector("tf_efficientdet_lite0", height: 128, width: 128),
          maximumBatch: options.maximumBatch, maximumDelay: options.maximumDelay,
          queueLimit: options.queueLimit,
          observer: observer))
    }
  }

  /// The bytes of a sample photo.
  static func photo(_ name: String) throws -> Data {
    try Data(contentsOf: RepositoryPaths.samples.appendingPathComponent(name))
  }
}
