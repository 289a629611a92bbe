/// How `efficientnet serve` listens, batches and limits requests.
public struct ServerOptions: Sendable {
  /// The address to bind (127.0.0.1 by default: loopback only).
  public var host = "127.0.0.1"
  /// The TCP port; 0 picks a free one (reported once listening).
  public var port = 8080
  /// The most images one run of a model takes.
  public var maximumBatch = 8
  /// How long the first request of a batch waits for others.
  public var maximumDelay: Duration = .milliseconds(5)
  /// The most requests waiting per model; more are answered 503 with Retry-After.
  public var queueLimit = 64
  /// The largest request body, in bytes; larger ones are answered 413 without being read whole.
  public var maximumBodyBytes = 20 << 20
  /// How long a connection may stay silent while idle or while sending its request before it is
  /// closed (a stalled client holds nothing for ever); one waiting for its answer is never closed.
  public var idleTimeout: Duration = .seconds(30)
  /// The bearer token every request but health checks must carry, or nil for none.
  public var token: String?
  /// The most requests handled at once (health and metrics aside); more are answered 503 at once,
  /// before their bodies are read, so memory stays within this many bodies. Nil: every model's
  /// queue plus one batch per model plus 16.
  public var maximumInFlight: Int?

  /// ``maximumInFlight`` for `modelCount` models.
  public func inFlightLimit(modelCount: Int) -> Int {
    maximumInFlight ?? (modelCount * (queueLimit + maximumBatch) + 16)
  }

  /// The default options.
  public init() {}
}
