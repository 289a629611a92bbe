import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A small blocking HTTP/1.1 client over a real TCP socket to 127.0.0.1, one connection per request
/// (`Connection: close`), so that tests control every byte: declared lengths larger than what is
/// sent, chunked bodies, raw garbage. Reads time out (10 s by default) instead of hanging.
struct HTTPTestClient {
  /// An answer: status, header fields (lower-cased names) and body.
  struct Response {
    var status: Int
    var headers: [String: String]
    var body: Data

    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body decoded as JSON into `type`.
    func json<Value: Decodable>(_ type: Value.Type) throws -> Value {
      try JSONDecoder().decode(type, from: body)
    }
  }

  struct Failure: Error, CustomStringConvertible { var description: String }

  let port: Int
  var timeoutSeconds = 10

  /// Sends a request and reads the whole answer. `declaredLength` overrides `Content-Length`
  /// (the body sent is still `body`); `chunked` sends the body as one chunk per 64 KiB.
  func send(
    _ method: String, _ path: String, headers: [(String, String)] = [], body: Data = Data(),
    declaredLength: Int? = nil, chunked: Bool = false
  ) throws -> Response {
    let socket = try connect()
    defer { close(socket) }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if chunked {
      head += "Transfer-Encoding: chunked\r\n"
    } else if method != "GET" || !body.isEmpty {
      head += "Content-Length: \(declaredLength ?? body.count)\r\n"
    }
    head += "\r\n"
    try write(socket, Data(head.utf8))
    if chunked {
      var offset = 0
      while offset < body.count {
        let end = min(body.count, offset + 65_536)
        // The server may answer 413 and close while we still send: stop sending then.
        let chunk =
          Data((String(end - offset, radix: 16) + "\r\n").utf8) + body[offset..<end] + Data("\r\n".utf8)
        guard (try? write(socket, chunk)) != nil else { break }
        offset = end
      }
      _ = try? write(socket, Data("0\r\n\r\n".utf8))
    } else if !body.isEmpty {
      _ = try? write(socket, body)
    }
    return try Self.parse(try readAll(socket))
  }

  /// A GET request.
  func get(_ path: String, headers: [(String, String)] = []) throws -> Response {
    try send("GET", path, headers: headers)
  }

  private func connect() throws -> Int32 {
    #if canImport(Glibc)
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard result == 0 else {
      close(descriptor)
      throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)")
    }
    return descriptor
  }

  private func write(_ socket: Int32, _ data: Data) throws {
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let sent = Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
        guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
        offset += sent
      }
    }
  }

  private func readAll(_ socket: Int32) throws -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = recv(socket, &buffer, buffer.count, 0)
      if count == 0 { break }
      if count < 0 {
        if errno == ECONNRESET && !data.isEmpty { break }
        throw Failure(description: "recv failed (errno \(errno)) after \(data.count) bytes")
      }
      data.append(contentsOf: buffer[0..<count])
    }
    return data
  }

  /// Splits a raw answer into status, headers and body (de-chunked when chunked).
  static func parse(_ raw: Data) throws -> Response {
    guard let end = raw.range(of: Data("\r\n\r\n".utf8)) else {
      throw Failure(description: "no complete response head in \(raw.count) bytes")
    }
    let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = lines[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
      throw Failure(description: "bad status line '\(lines[0])'")
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
        in: .whitespaces)
    }
    var body = Data(raw[end.upperBound...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
    return Response(status: status, headers: headers, body: body)
  }

  private static func dechunk(_ data: Data) throws -> Data {
    var result = Data()
    var cursor = data.startIndex
    while let lineEnd = data.range(of: Data("\r\n".utf8), in: cursor..<data.endIndex) {
      let sizeText = String(decoding: data[cursor..<lineEnd.lowerBound], as: UTF8.self)
      guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
        throw Failure(description: "bad chunk size '\(sizeText)'")
      }
      if size == 0 { break }
      let start = lineEnd.upperBound
      guard start + size <= data.endIndex else { throw Failure(description: "truncated chunk") }
      result.append(data[start..<(start + size)])
      cursor = start + size + 2
    }
    return result
  }
}

extension HTTPTestClient {
  /// ``send(_:_:headers:body:declaredLength:chunked:)`` on a thread of its own, so that waiting
  /// for the answer never holds one of the few threads the server's handlers run on.
  func request(
    _ method: String, _ path: String, headers: [(String, String)] = [], body: Data = Data(),
    declaredLength: Int? = nil, chunked: Bool = false
  ) async throws -> Response {
    let client = self
    return try await withCheckedThrowingContinuation { continuation in
      Thread {
        continuation.resume(
          with: Result {
            try client.send(
              method, path, headers: headers, body: body, declaredLength: declaredLength, chunked: chunked)
          })
      }.start()
    }
  }
}

extension HTTPTestClient.Response: @unchecked Sendable {}

extension HTTPTestClient {
  /// Polls `/metrics` (for up to a second) until `model`'s queue holds `depth` requests; the depth
  /// last seen.
  func waitForQueueDepth(_ depth: Double, model: String) async throws -> Double {
    var seen = 0.0
    for _ in 0..<100 where seen < depth {
      try await Task.sleep(for: .milliseconds(10))
      let metrics = try await request("GET", "/metrics").text
      seen =
        ImageRouteTests.value(of: "efficientnet_queue_depth_requests{model=\"\(model)\"}", in: metrics) ?? 0
    }
    return seen
  }
}
