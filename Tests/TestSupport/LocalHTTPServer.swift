import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for tests of downloads: it serves files by path, answers
/// `Range: bytes=N-` with 206, counts the requests, and fails on demand (an error status for the first
/// requests, or a response cut off after some bytes). One connection at a time; each is closed after
/// its response.
public final class LocalHTTPServer: @unchecked Sendable {
  /// One request as received.
  public struct Request: Equatable, Sendable {
    /// The path asked for, e.g. `/weights.pth`.
    public var path: String
    /// The `Range` header, when sent.
    public var range: String?

    /// A request for `path` with the `Range` header `range`.
    public init(path: String, range: String?) {
      self.path = path
      self.range = range
    }
  }

  /// The port the server listens on.
  public private(set) var port: UInt16 = 0
  private let listener: Int32
  private let lock = NSLock()
  private var files: [String: Data] = [:]
  private var log: [Request] = []
  private var statusFailures: [String: (status: Int, remaining: Int)] = [:]
  private var cutOffs: [String: (bytes: Int, remaining: Int)] = [:]
  private var ignoresRange = false
  private var stalls: [String: (seconds: Double, remaining: Int)] = [:]
  private var omitsLength = false
  private var running = true

  /// Starts listening on an ephemeral port of 127.0.0.1.
  public init() throws {
    #if canImport(Glibc)
      listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      listener = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard listener >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(listener, 16) == 0 else {
      close(listener)
      throw ServerError("bind/listen: \(String(cString: strerror(errno)))")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  deinit { stop() }

  /// The base URL, `http://127.0.0.1:PORT`.
  public var baseURL: String { "http://127.0.0.1:\(port)" }

  /// Serves `data` at `path` (which starts with `/`).
  public func serve(_ data: Data, at path: String) { locked { files[path] = data } }

  /// Answers the next `count` requests for `path` with `status` (e.g. 503).
  public func failNext(_ count: Int, at path: String, status: Int = 503) {
    locked { statusFailures[path] = (status, count) }
  }

  /// Cuts the next `count` responses for `path` off after `bytes` bytes of the body.
  public func cutOffNext(_ count: Int, at path: String, afterBytes bytes: Int) {
    locked { cutOffs[path] = (bytes, count) }
  }

  /// Holds the next `count` requests for `path` for `seconds` without answering, then closes them.
  public func stallNext(_ count: Int, at path: String, seconds: Double) {
    locked { stalls[path] = (seconds, count) }
  }

  /// Sends no `Content-Length` (the body ends when the connection closes), as a careless or hostile
  /// server may.
  public func omitLength(_ omits: Bool = true) { locked { omitsLength = omits } }

  /// Makes the server answer every request with the whole file (200), ignoring `Range`.
  public func ignoreRange(_ ignores: Bool = true) { locked { ignoresRange = ignores } }

  /// Every request received so far, in order.
  public var requests: [Request] { locked { log } }

  /// Stops listening (idempotent).
  public func stop() {
    let wasRunning = locked { () -> Bool in
      defer { running = false }
      return running
    }
    guard wasRunning else { return }
    // The accept loop closes the socket itself when it wakes, so its number cannot be reused (by
    // another test's server) while the loop may still call accept on it.
    shutdown(listener, Int32(SHUT_RDWR))
  }

  #if os(Linux)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
  #else
    private static let sendFlags: Int32 = 0
  #endif

  private func locked<Result>(_ body: () -> Result) -> Result {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }

  private func acceptLoop() {
    defer { close(listener) }
    while locked({ running }) {
      let connection = accept(listener, nil, nil)
      if connection < 0 {
        if errno == EINTR { continue }
        return
      }
      handle(connection)
      close(connection)
    }
  }

  private func handle(_ connection: Int32) {
    guard let head = readHead(connection) else { return }
    let lines = head.components(separatedBy: "\r\n")
    let parts = lines.first?.split(separator: " ") ?? []
    guard parts.count >= 2 else { return respond(connection, status: 400, headers: [:], body: Data()) }
    let path = String(parts[1])
    let range = lines.dropFirst().first { $0.lowercased().hasPrefix("range:") }.map {
      String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces)
    }
    let stall = locked { () -> Double? in
      log.append(Request(path: path, range: range))
      guard let pending = stalls[path], pending.remaining > 0 else { return nil }
      stalls[path] = (pending.seconds, pending.remaining - 1)
      return pending.seconds
    }
    if let stall { return Thread.sleep(forTimeInterval: stall) }
    let (file, failure, cutOff, ignoring) = locked { () -> (Data?, Int?, Int?, Bool) in
      var failure: Int?
      if let pending = statusFailures[path], pending.remaining > 0 {
        statusFailures[path] = (pending.status, pending.remaining - 1)
        failure = pending.status
      }
      var cutOff: Int?
      if failure == nil, let pending = cutOffs[path], pending.remaining > 0 {
        cutOffs[path] = (pending.bytes, pending.remaining - 1)
        cutOff = pending.bytes
      }
      return (files[path], failure, cutOff, ignoresRange)
    }
    if let failure { return respond(connection, status: failure, headers: [:], body: Data("failure".utf8)) }
    guard let file else {
      return respond(connection, status: 404, headers: [:], body: Data("not found".utf8))
    }
    var status = 200
    var body = file
    var headers: [String: String] = [:]
    if !ignoring, let range, range.hasPrefix("bytes="), range.hasSuffix("-"),
      let start = Int(range.dropFirst(6).dropLast())
    {
      guard start < file.count else {
        return respond(
          connection, status: 416, headers: ["Content-Range": "bytes */\(file.count)"], body: Data())
      }
      status = 206
      body = file.subdata(in: start..<file.count)
      headers["Content-Range"] = "bytes \(start)-\(file.count - 1)/\(file.count)"
    }
    respond(connection, status: status, headers: headers, body: body, cutOffAfter: cutOff)
  }

  private func readHead(_ connection: Int32) -> String? {
    var received = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while received.count < 65536 {
      let count = recv(connection, &buffer, buffer.count, 0)
      if count <= 0 { return nil }
      received.append(contentsOf: buffer[0..<count])
      if let end = received.range(of: Data("\r\n\r\n".utf8)) {
        return String(decoding: received[..<end.lowerBound], as: UTF8.self)
      }
    }
    return nil
  }

  private func respond(
    _ connection: Int32, status: Int, headers: [String: String], body: Data, cutOffAfter: Int? = nil
  ) {
    var head = "HTTP/1.1 \(status) Status\r\nConnection: close\r\n"
    if !locked({ omitsLength }) { head += "Content-Length: \(body.count)\r\n" }
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "Accept-Ranges: bytes\r\n\r\n"
    var bytes = Data(head.utf8)
    bytes.append(body.prefix(cutOffAfter ?? body.count))
    bytes.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        let count = send(connection, raw.baseAddress! + sent, raw.count - sent, Self.sendFlags)
        if count <= 0 { return }
        sent += count
      }
    }
  }
}

/// A failure to start the test server.
public struct ServerError: Error, CustomStringConvertible {
  /// What failed.
  public var description: String

  init(_ description: String) { self.description = description }
}
