/// A request the server refuses, with the HTTP status to answer and a message naming the field,
/// tensor, model or limit at fault.
public struct RequestError: Error, Equatable, CustomStringConvertible {
  /// The HTTP status code (400, 401, 404, 413, 415, 503).
  public var status: Int
  /// What was wrong, for the client.
  public var message: String

  /// A refusal with `status` saying `message`.
  public init(status: Int, _ message: String) {
    self.status = status
    self.message = message
  }

  /// 400: the request is malformed.
  public static func badRequest(_ message: String) -> RequestError { RequestError(status: 400, message) }

  public var description: String { message }
}
