import EfficientNetServing
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// `efficientnet serve`: the models behind HTTP — images on `/v1`, tensors on the Open Inference
/// Protocol's `/v2`, Prometheus metrics on `/metrics` — with dynamic batching, body limits, bearer
/// tokens and a graceful stop: on SIGTERM or SIGINT it stops accepting connections, answers every
/// request in flight, drains each model's queue and returns.
public struct InferenceServer: Sendable {
  /// Listening, batching and limits.
  public let options: ServerOptions
  /// The served models and their loading state.
  public let catalog: ModelCatalog
  /// The metrics `/metrics` reports.
  public let metrics = ServingMetrics()
  let specifications: [ModelSpecification]

  /// A server for `models` (names must be distinct).
  public init(options: ServerOptions, models: [ModelSpecification]) {
    precondition(Set(models.map(\.name)).count == models.count, "served model names must be distinct")
    self.options = options
    specifications = models
    catalog = ModelCatalog(names: models.map(\.name))
  }

  /// Listens, loads the models (the server answers `/v2/health/ready` with 503 until all have
  /// loaded) and serves until SIGTERM or SIGINT, or until `shutdown` is triggered.
  ///
  /// - Parameters:
  ///   - verbose: log each connection's and the lifecycle's events (else warnings only).
  ///   - onListening: called with the bound port once the server accepts connections.
  ///   - onReady: called once every model has loaded.
  ///   - shutdown: set to a handle that stops the server as SIGTERM would (for tests and embedding).
  /// - Throws: a model's loading error (the server stops), or the listener's.
  public func run(
    verbose: Bool = false, onListening: @escaping @Sendable (Int) -> Void = { _ in },
    onReady: @escaping @Sendable () -> Void = {}, shutdown: ShutdownHandle? = nil
  ) async throws {
    var logger = Logger(label: "efficientnet.serve")
    logger.logLevel = verbose ? .info : .warning
    let application = Application(
      router: makeRouter(),
      // A connection silent for this long while idle or while sending its request is closed (a
      // stalled client holds no slot for ever); one waiting for its answer is not.
      server: .http1(configuration: .init(idleTimeout: .nanoseconds(Self.nanoseconds(options.idleTimeout)))),
      configuration: .init(
        address: .hostname(options.host, port: options.port), serverName: "swift-efficientnet"),
      onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
      logger: logger)
    let loader = ModelLoadingService(
      catalog: catalog, specifications: specifications, metrics: metrics, onReady: onReady)
    // Graceful shutdown runs in reverse order: the listener stops and finishes its requests first,
    // then the loader drains the models' queues.
    let group = ServiceGroup(
      configuration: .init(
        services: [loader, application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    shutdown?.attach(group)
    do {
      try await group.run()
    } catch let error as IOError {
      throw RequestError(
        status: 500, "could not listen on \(options.host):\(options.port): \(Self.reason(error))")
    }
  }

  static func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
  }

  /// What a socket error says, without NIO's call-site decoration.
  static func reason(_ error: IOError) -> String {
    String(cString: strerror(error.errnoCode)) + " (errno \(error.errnoCode))"
  }

  /// The routes: health, metadata, inference, images and metrics.
  func makeRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.add(
      middleware: ServerMiddleware(
        token: options.token, catalog: catalog, metrics: metrics,
        inFlightLimit: options.inFlightLimit(modelCount: specifications.count)))
    addHealthRoutes(to: router)
    addInferenceProtocolRoutes(to: router)
    addImageRoutes(to: router)
    return router
  }

  private func addHealthRoutes(to router: Router<BasicRequestContext>) {
    let catalog = catalog, metrics = metrics
    router.get("/v2/health/live") { _, _ in try JSONResponse.make(["live": true]) }
    router.get("/v2/health/ready") { _, _ in
      try JSONResponse.make(["ready": catalog.isReady], status: catalog.isReady ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
      let text = metrics.exposition(queueDepths: catalog.models.map { ($0.name, $0.model.queueDepth) })
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
  }
}

/// Stops a running ``InferenceServer`` as SIGTERM does.
public final class ShutdownHandle: Sendable {
  private let group = LockedGroup()

  /// A handle not yet attached to a server.
  public init() {}

  func attach(_ serviceGroup: ServiceGroup) { group.set(serviceGroup) }

  /// Stops accepting, finishes what is in flight and lets `run` return.
  public func trigger() async { await group.get()?.triggerGracefulShutdown() }
}

/// The service group a handle stops, behind a lock.
final class LockedGroup: @unchecked Sendable {
  private let lock = NSLock()
  private var value: ServiceGroup?

  func set(_ group: ServiceGroup) { lock.withLock { value = group } }
  func get() -> ServiceGroup? { lock.withLock { value } }
}

/// JSON bodies.
enum JSONResponse {
  /// `value` as JSON with `status`.
  static func make<Value: Encodable>(
    _ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
  )
    throws -> Response
  {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(
      status: status, headers: fields,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: try ReportJSON.encode(value))))
  }
}
