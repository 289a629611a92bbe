import EfficientNetServing
import Foundation
import Hummingbird
import Synchronization

/// The outermost layer of every route: checks the bearer token (health and metrics stay open),
/// turns every error into a JSON answer with the right status, and counts and times the request
/// for the metrics. Nothing a request does escapes it: a failing request fails alone.
struct ServerMiddleware<Context: RequestContext>: RouterMiddleware {
  let token: String?
  let catalog: ModelCatalog
  let metrics: ServingMetrics
  /// The most requests handled at once (health and metrics not counted).
  let inFlightLimit: Int
  let inFlight = InFlightCounter()

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
    async throws -> Response
  {
    let started = ContinuousClock.now
    metrics.requestStarted()
    let response: Response
    let counted = !Self.isOpen(request.uri.path)
    do {
      try checkToken(request)
      if counted {
        guard inFlight.enter(limit: inFlightLimit) else {
          throw RequestError(
            status: 503, "the server is handling \(inFlightLimit) requests already; retry shortly")
        }
      }
      defer { if counted { inFlight.leave() } }
      response = try await next(request, context)
    } catch {
      response = Self.errorResponse(error)
    }
    metrics.requestFinished(
      model: modelLabel(request.uri.path), status: response.status.code, duration: .now - started)
    return response
  }

  /// Refuses a request without `Authorization: Bearer <token>` (401), except health checks and
  /// metrics.
  private func checkToken(_ request: Request) throws {
    guard let token else { return }
    if Self.isOpen(request.uri.path) { return }
    let given = request.headers[.authorization] ?? ""
    guard Self.constantTimeEqual(given, "Bearer \(token)") else {
      throw RequestError(status: 401, "missing or wrong bearer token (Authorization: Bearer ...)")
    }
  }

  /// Health checks and metrics: open without a token, never refused as busy.
  static func isOpen(_ path: String) -> Bool { path.hasPrefix("/v2/health/") || path == "/metrics" }

  /// The model a path names, when the server serves it; `-` otherwise (so that clients cannot grow
  /// the metrics with made-up names).
  private func modelLabel(_ path: String) -> String {
    let parts = path.split(separator: "/")
    guard parts.count >= 3, parts[1] == "models" else { return "-" }
    let name = String(parts[2])
    return catalog.names.contains(name) ? name : "-"
  }

  /// The JSON answer for an error: its status and `{"error": "..."}`.
  static func errorResponse(_ error: any Error) -> Response {
    var headers: HTTPFields = [.contentType: "application/json"]
    let status: HTTPResponse.Status
    let message: String
    switch error {
    case let refusal as RequestError:
      status = HTTPResponse.Status(code: refusal.status)
      message = refusal.message
      if refusal.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
      if refusal.status == 503 { headers[.retryAfter] = "1" }
    case let refusal as ServingError:
      status = .serviceUnavailable
      message = refusal.description
      headers[.retryAfter] = "1"
    case let refusal as HTTPError:
      status = refusal.status
      message = refusal.body ?? refusal.status.reasonPhrase
    default:
      status = .internalServerError
      message = "\(error)"
    }
    let body = (try? ReportJSON.encode(InferenceProtocol.ErrorBody(error: message))) ?? Data("{}".utf8)
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
  }

  /// Compares strings in time that depends on their lengths only.
  static func constantTimeEqual(_ given: String, _ expected: String) -> Bool {
    let a = Array(given.utf8), b = Array(expected.utf8)
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
  }
}

/// Requests being handled now, bounded.
final class InFlightCounter: Sendable {
  private let count = Mutex(0)

  /// Counts one more request unless `limit` are in already.
  func enter(limit: Int) -> Bool {
    count.withLock {
      guard $0 < limit else { return false }
      $0 += 1
      return true
    }
  }

  /// Counts one request out.
  func leave() { count.withLock { $0 -= 1 } }
}
