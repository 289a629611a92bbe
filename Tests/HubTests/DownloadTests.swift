import EfficientNetHub
import EfficientNetTestSupport
import XCTest

/// Every path of a fetch against a server on 127.0.0.1: download, cache hit, retry, resume, corrupt
/// file, mirror, size limit, HTTP errors, no server. The converter here copies the verified file, so
/// these tests need no real checkpoint (``ConversionTests`` converts one).
final class DownloadTests: XCTestCase {
  var server: LocalHTTPServer!
  let payload = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 7) })
  static let copying: WeightsHub.Converter = { download, _, destination in
    try FileManager.default.copyItem(at: download, to: destination)
  }

  override func setUpWithError() throws {
    // A proxy in the test's environment must not stand between the downloader and the local server.
    setenv("no_proxy", "127.0.0.1", 1)
    server = try LocalHTTPServer()
    server.serve(payload, at: "/models/weights-abc.pth")
  }

  override func tearDown() { server.stop() }

  private func entry(sha256: String? = nil, byteSize: Int64? = nil, url: String? = nil) -> WeightsEntry {
    var hash = SHA256()
    hash.update(payload)
    return WeightsEntry(
      name: "efficientnet_b0.test", model: "efficientnet_b0", source: "test",
      url: url ?? server.baseURL + "/models/weights-abc.pth",
      sha256: byteSize == nil ? (sha256 ?? hash.hexDigest()) : sha256, byteSize: byteSize,
      licence: "Apache-2.0", resolution: 224, resizeSize: 256, interpolation: "bicubic",
      mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225], batchNormEpsilon: nil)
  }

  private func hub(mirror: String? = nil) throws -> WeightsHub {
    WeightsHub(
      cache: WeightsCache(folder: try makeTemporaryFolder("cache")), mirror: mirror,
      policy: DownloadPolicy(attempts: 3, firstBackoff: 0.01, idleTimeout: 5, attemptTimeout: 30))
  }

  /// The partial files in the cache's download folder (its lock files left out).
  private func partialFiles(_ hub: WeightsHub) -> [String] {
    let folder = hub.cache.folder.appendingPathComponent("downloads").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
      $0.hasSuffix(".partial")
    }
  }

  func testDownloadsVerifiesCachesAndThenHitsTheCacheWithoutARequest() throws {
    let hub = try hub()
    var reports: [Int64] = []
    let file = try hub.weights(
      for: entry(), progress: { received, _ in reports.append(received) }, converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(file.lastPathComponent, "efficientnet_b0.test.safetensors")
    XCTAssertEqual(reports.last, Int64(payload.count))
    XCTAssertEqual(partialFiles(hub), [], "the partial file is gone")
    XCTAssertEqual(server.requests.count, 1)
    XCTAssertTrue(hub.cache.contains(entry()))
    XCTAssertEqual(try hub.weights(for: entry(), converter: Self.copying), file)
    XCTAssertEqual(server.requests.count, 1, "a cache hit makes no request")
  }

  func testTwoFetchesAtOnceMakeOneRequest() throws {
    let hub = try hub()
    let wanted = entry()
    let group = DispatchGroup()
    let collected = Collected()
    for _ in 0..<2 {
      DispatchQueue.global().async(group: group) {
        if let file = try? hub.weights(for: wanted, converter: Self.copying) { collected.append(file) }
      }
    }
    XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
    XCTAssertEqual(collected.files.count, 2)
    XCTAssertEqual(server.requests.count, 1, "the second waited for the first and found it cached")
  }

  func testRetriesAServerThatFailsTheFirstRequest() throws {
    server.failNext(1, at: "/models/weights-abc.pth", status: 503)
    let file = try hub().weights(for: entry(), converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(server.requests.count, 2)
  }

  func testResumesACutOffTransferWithARangeRequest() throws {
    server.cutOffNext(1, at: "/models/weights-abc.pth", afterBytes: 70_000)
    let file = try hub().weights(for: entry(), converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(server.requests.count, 2)
    XCTAssertNil(server.requests[0].range)
    guard let range = server.requests[1].range else { return XCTFail("the retry sent no Range") }
    XCTAssertTrue(range.hasPrefix("bytes=") && range != "bytes=0-", range)
  }

  func testAnInterruptedRunLeavesOnlyThePartialFileAndTheNextRunResumesIt() throws {
    server.cutOffNext(3, at: "/models/weights-abc.pth", afterBytes: 30_000)
    let hub = try hub()
    XCTAssertThrowsError(try hub.weights(for: entry(), converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("3 attempts"), "\($0)")
    }
    XCTAssertFalse(hub.cache.contains(entry()), "nothing half-written is cached")
    XCTAssertEqual(partialFiles(hub), ["weights-abc.pth.partial"])
    let kept = try Data(contentsOf: hub.cache.partialFile(for: entry()))
    XCTAssertEqual(kept, payload.prefix(kept.count), "what arrived is kept, in order")
    XCTAssertGreaterThan(kept.count, 0)
    let file = try hub.weights(for: entry(), converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(server.requests.last?.range, "bytes=\(kept.count)-")
  }

  func testResumesAPartialFileLeftByAnEarlierRun() throws {
    let hub = try hub()
    try FileManager.default.createDirectory(
      at: hub.cache.folder.appendingPathComponent("downloads"), withIntermediateDirectories: true)
    try payload.prefix(50_000).write(to: hub.cache.partialFile(for: entry()))
    let file = try hub.weights(for: entry(), converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(server.requests, [.init(path: "/models/weights-abc.pth", range: "bytes=50000-")])
  }

  func testAStaleResumedPartialIsFetchedAgainWhole() throws {
    let hub = try hub()
    try FileManager.default.createDirectory(
      at: hub.cache.folder.appendingPathComponent("downloads"), withIntermediateDirectories: true)
    try Data(repeating: 9, count: 50_000).write(to: hub.cache.partialFile(for: entry()))
    let file = try hub.weights(for: entry(), converter: Self.copying)
    XCTAssertEqual(try Data(contentsOf: file), payload)
    XCTAssertEqual(server.requests.map(\.range), ["bytes=50000-", nil])
  }

  func testAServerIgnoringTheRangeStartsTheFileOver() throws {
    server.ignoreRange()
    let hub = try hub()
    try FileManager.default.createDirectory(
      at: hub.cache.folder.appendingPathComponent("downloads"), withIntermediateDirectories: true)
    try payload.prefix(50_000).write(to: hub.cache.partialFile(for: entry()))
    XCTAssertEqual(try Data(contentsOf: hub.weights(for: entry(), converter: Self.copying)), payload)
  }

  func testACorruptFileIsRefusedAndNotCached() throws {
    let hub = try hub()
    let wrong = entry(sha256: "0123456789abcdef")
    XCTAssertThrowsError(try hub.weights(for: wrong, converter: Self.copying)) {
      let message = "\($0)"
      XCTAssertTrue(message.contains(server.baseURL + "/models/weights-abc.pth"), message)
      XCTAssertTrue(message.contains("0123456789abcdef"), message)
    }
    XCTAssertFalse(hub.cache.contains(wrong))
    XCTAssertEqual(partialFiles(hub), [])
  }

  func testWithoutAHashTheSizeIsChecked() throws {
    let hub = try hub()
    XCTAssertNoThrow(try hub.weights(for: entry(byteSize: Int64(payload.count)), converter: Self.copying))
    let other = try self.hub()
    XCTAssertThrowsError(
      try other.weights(for: entry(byteSize: Int64(payload.count + 1)), converter: Self.copying))
  }

  func testAServerSendingMoreThanTheLimitIsCutOff() throws {
    let hub = try hub()
    XCTAssertThrowsError(try hub.weights(for: entry(byteSize: 1000), converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("more than 1000 bytes"), "\($0)")
    }
    XCTAssertEqual(partialFiles(hub), [])
    XCTAssertEqual(server.requests.count, 1, "not retried")
  }

  func testAServerWithoutALengthIsCutOffAtTheLimitWhileStreaming() throws {
    server.omitLength()
    let hub = try hub()
    XCTAssertThrowsError(try hub.weights(for: entry(byteSize: 1000), converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("more than 1000 bytes"), "\($0)")
    }
    XCTAssertEqual(partialFiles(hub), [])
    server.omitLength(false)
  }

  func testAServerThatNeverAnswersTimesOut() throws {
    server.stallNext(1, at: "/models/weights-abc.pth", seconds: 4)
    let hub = WeightsHub(
      cache: WeightsCache(folder: try makeTemporaryFolder("cache")),
      policy: DownloadPolicy(attempts: 1, firstBackoff: 0, idleTimeout: 1, attemptTimeout: 10))
    let start = Date()
    XCTAssertThrowsError(try hub.weights(for: entry(), converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("/models/weights-abc.pth"), "\($0)")
      XCTAssertTrue("\($0)".contains("1 attempt"), "\($0)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 3.5, "the idle timeout ended the wait")
  }

  func testTheMirrorServesTheSameFileName() throws {
    server.serve(payload, at: "/mirror/weights-abc.pth")
    let hub = try hub(mirror: server.baseURL + "/mirror/")
    let remote = entry(url: "https://download.example.invalid/models/weights-abc.pth")
    XCTAssertEqual(hub.downloadURL(for: remote)?.absoluteString, server.baseURL + "/mirror/weights-abc.pth")
    XCTAssertEqual(try Data(contentsOf: hub.weights(for: remote, converter: Self.copying)), payload)
    XCTAssertEqual(server.requests.map(\.path), ["/mirror/weights-abc.pth"])
  }

  func testNotFoundIsNotRetriedAndNamesTheURL() throws {
    let missing = entry(url: server.baseURL + "/models/missing-abc.pth")
    XCTAssertThrowsError(try hub().weights(for: missing, converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("/models/missing-abc.pth"), "\($0)")
      XCTAssertTrue("\($0)".contains("404"), "\($0)")
    }
    XCTAssertEqual(server.requests.count, 1)
  }

  func testNoServerFailsAfterTheRetriesNamingTheURLAndLeavesNoFile() throws {
    let port = server.port
    server.stop()
    let unreachable = entry(url: "http://127.0.0.1:\(port)/models/weights-abc.pth")
    let hub = try hub()
    defer { XCTAssertEqual(partialFiles(hub), [], "an empty partial file is not left behind") }
    XCTAssertThrowsError(try hub.weights(for: unreachable, converter: Self.copying)) {
      XCTAssertTrue("\($0)".contains("http://127.0.0.1:\(port)/models/weights-abc.pth"), "\($0)")
      XCTAssertTrue("\($0)".contains("3 attempts"), "\($0)")
    }
  }
}

/// Files gathered from several threads.
private final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var gathered: [URL] = []

  func append(_ file: URL) {
    lock.lock()
    gathered.append(file)
    lock.unlock()
  }

  var files: [URL] {
    lock.lock()
    defer { lock.unlock() }
    return gathered
  }
}
