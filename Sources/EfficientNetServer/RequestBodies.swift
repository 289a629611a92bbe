import EfficientNetImageIO
import EfficientNetServing
import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies within the server's limit, and the images in them.
enum RequestBodies {
  /// The most pixels a served image may decode to (5,000 × 5,000): a small, highly compressed body
  /// must not expand into gigabytes.
  static let maximumPixelCount = 25_000_000

  /// The whole body, refused with 413 — before reading any of it when `Content-Length` says so,
  /// else as soon as more than `limit` bytes have arrived.
  static func collect(_ request: Request, limit: Int) async throws -> Data {
    let tooLarge = RequestError(
      status: 413, "request body is larger than this server's limit of \(limit) bytes (--max-body-mb)")
    if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
      throw tooLarge
    }
    do {
      var buffer = try await request.body.collect(upTo: limit)
      return buffer.readData(length: buffer.readableBytes) ?? Data()
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw tooLarge
    } catch is NIOTooManyBytesError {
      throw tooLarge  // a chunked body grew past the limit
    }
  }

  /// The images of a request: the raw body as one image, or each file part of a
  /// `multipart/form-data` body, each with its file name (or field name) when it has one.
  static func images(_ request: Request, limit: Int) async throws -> [(file: String?, image: DecodedImage)] {
    let body = try await collect(request, limit: limit)
    let contentType = request.headers[.contentType] ?? ""
    var pieces: [(file: String?, data: Data)] = [(nil, body)]
    if isMultipart(request) {
      guard let boundary = MultipartFormData.boundary(ofContentType: contentType) else {
        throw RequestError.badRequest(
          "Content-Type \(contentType): a multipart/form-data body needs a boundary")
      }
      let form: MultipartFormData
      do {
        form = try MultipartFormData(body: body, boundary: boundary)
      } catch {
        throw RequestError.badRequest("\(error)")
      }
      pieces = form.parts.filter { !$0.data.isEmpty }.map { ($0.fileName ?? $0.name, $0.data) }
      guard !pieces.isEmpty else { throw RequestError.badRequest("multipart body holds no image parts") }
    }
    return try pieces.enumerated().map { index, piece in
      let source = piece.file ?? (pieces.count == 1 ? "request body" : "part \(index)")
      do {
        let image = try ImageDecoder.decode(
          data: piece.data, source: source, maximumPixelCount: maximumPixelCount,
          maximumDecodedByteCount: maximumPixelCount * 4)
        return (piece.file, image)
      } catch {
        throw RequestError.badRequest("\(error)")
      }
    }
  }

  /// Whether the request's body is `multipart/...`.
  static func isMultipart(_ request: Request) -> Bool {
    request.headers[.contentType]?.lowercased().hasPrefix("multipart/") == true
  }

  /// The integer query parameter `name` in `range`, or `defaultValue` when absent.
  static func integer(
    _ request: Request, _ name: String, in range: ClosedRange<Int>, default defaultValue: Int
  )
    throws -> Int
  {
    guard let text = request.uri.queryParameters[Substring(name)] else { return defaultValue }
    guard let value = Int(text), range.contains(value) else {
      throw RequestError.badRequest("query parameter \(name)=\(text): an integer in \(range) expected")
    }
    return value
  }

  /// The number query parameter `name` in `range`, or `defaultValue` when absent.
  static func number(
    _ request: Request, _ name: String, in range: ClosedRange<Float>, default defaultValue: Float
  )
    throws -> Float
  {
    guard let text = request.uri.queryParameters[Substring(name)] else { return defaultValue }
    guard let value = Float(text), value.isFinite, range.contains(value) else {
      throw RequestError.badRequest("query parameter \(name)=\(text): a number in \(range) expected")
    }
    return value
  }
}
