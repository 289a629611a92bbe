import Foundation

/// The parts of a `multipart/form-data` body (RFC 7578): each part's field name, file name, type
/// and bytes. Bounded: at most ``maximumPartCount`` parts and 8 KiB of headers per part.
public struct MultipartFormData: Sendable {
  /// One part of the body.
  public struct Part: Sendable {
    /// The form field's name (`Content-Disposition: form-data; name="..."`).
    public var name: String?
    /// The file name the client gave, when the part is a file.
    public var fileName: String?
    /// The part's `Content-Type`, when given.
    public var contentType: String?
    /// The part's bytes.
    public var data: Data
  }

  /// The most parts one body may hold.
  public static let maximumPartCount = 64
  /// The parts, in body order.
  public var parts: [Part]

  /// Why a body is not valid multipart.
  public struct FormatError: Error, CustomStringConvertible {
    /// What is wrong, for the client.
    public var description: String
  }

  /// The boundary of a `multipart/form-data; boundary=...` content type, or nil for another type.
  public static func boundary(ofContentType contentType: String) -> String? {
    let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
    guard let type = fields.first, type.lowercased() == "multipart/form-data" else { return nil }
    for field in fields.dropFirst() where field.lowercased().hasPrefix("boundary=") {
      var value = String(field.dropFirst("boundary=".count))
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
        value = String(value.dropFirst().dropLast())
      }
      return value.isEmpty ? nil : value
    }
    return nil
  }

  /// Splits `body` at `boundary`.
  ///
  /// - Throws: ``FormatError`` naming what is missing or malformed.
  public init(body: Data, boundary: String) throws {
    guard (1...70).contains(boundary.utf8.count) else {
      throw FormatError(description: "multipart boundary must be 1 to 70 characters")
    }
    let delimiter = Data("--\(boundary)".utf8)
    let separator = Data("\r\n--\(boundary)".utf8)
    let headerEnd = Data("\r\n\r\n".utf8)
    guard var cursor = body.range(of: delimiter)?.upperBound else {
      throw FormatError(description: "multipart body has no boundary line '--\(boundary)'")
    }
    var parts: [Part] = []
    while true {
      let rest = body[cursor...]
      if rest.starts(with: Data("--".utf8)) { break }  // the closing delimiter
      guard rest.starts(with: Data("\r\n".utf8)) else {
        throw FormatError(description: "multipart boundary line is not followed by CRLF")
      }
      let headersStart = cursor + 2
      let searchLimit = min(body.endIndex, headersStart + 8192)
      guard let end = body.range(of: headerEnd, in: headersStart..<searchLimit) else {
        throw FormatError(description: "multipart part \(parts.count) has no end of headers within 8 KiB")
      }
      guard let next = body.range(of: separator, in: end.upperBound..<body.endIndex) else {
        throw FormatError(
          description: "multipart part \(parts.count) has no closing boundary (truncated body?)")
      }
      guard parts.count < Self.maximumPartCount else {
        throw FormatError(description: "multipart body holds more than \(Self.maximumPartCount) parts")
      }
      let headers = String(decoding: body[headersStart..<end.lowerBound], as: UTF8.self)
      parts.append(Self.part(headers: headers, data: Data(body[end.upperBound..<next.lowerBound])))
      cursor = next.upperBound
    }
    self.parts = parts
  }

  /// A part from its header block and bytes.
  static func part(headers: String, data: Data) -> Part {
    var part = Part(name: nil, fileName: nil, contentType: nil, data: data)
    for line in headers.components(separatedBy: "\r\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if field == "content-type" { part.contentType = value }
      guard field == "content-disposition" else { continue }
      for parameter in value.split(separator: ";").dropFirst() {
        let pair = parameter.split(separator: "=", maxSplits: 1).map {
          $0.trimmingCharacters(in: .whitespaces)
        }
        guard pair.count == 2 else { continue }
        let unquoted =
          pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
          ? String(pair[1].dropFirst().dropLast()) : pair[1]
        switch pair[0].lowercased() {
        case "name": part.name = unquoted
        case "filename": part.fileName = unquoted
        default: break
        }
      }
    }
    return part
  }
}
