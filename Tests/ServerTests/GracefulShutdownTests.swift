import EfficientNetServing
import EfficientNetTestSupport
import Foundation
import Synchronization
import XCTest

/// `efficientnet serve` as a process: SIGTERM while requests wait in the queue stops it accepting,
/// answers every one of them correctly, and exits 0.
final class GracefulShutdownTests: XCTestCase {
  func testSIGTERMAnswersEveryRequestInFlightAndExitsZero() async throws {
    let logFile = try makeTemporaryFolder("serve-sigterm").appendingPathComponent("stderr.txt")
    let process = try SpawnedProcess(
      try ToolProcess.binary.path,
      ["serve", "--port", "0", "--max-delay-ms", "1500", "--max-batch", "64", "--threads", "1"],
      errorFile: logFile)
    func log() -> String { process.errorText }
    var port: Int?
    var ready = false
    let started = Date()
    while !ready, process.isRunning, Date().timeIntervalSince(started) < 120 {
      try await Task.sleep(for: .milliseconds(20))
      let text = log()
      if port == nil, let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
        port = Int(text[range].split(separator: ":").last!)
      }
      ready = text.contains("ready: every model has loaded")
    }
    let client = HTTPTestClient(port: try XCTUnwrap(port, log()))
    XCTAssertTrue(ready)
    let photo = try RunningServer.photo("chelsea.jpg")
    let requests = (0..<6).map { _ in
      Task { try await client.request("POST", "/v1/models/efficientnet_lite0/classify", body: photo) }
    }
    // SIGTERM once all six wait in the queue (the batch waits 1.5 s for more).
    let depth = try await client.waitForQueueDepth(6, model: "efficientnet_lite0")
    XCTAssertEqual(depth, 6)
    process.send(SIGTERM)
    for request in requests {
      let answer = try await request.value
      XCTAssertEqual(answer.status, 200, answer.text)
      XCTAssertEqual(try answer.json(ClassificationReport.self).top.first?.label, "tabby")
    }
    let status = try await process.waitForExit(seconds: 30)
    let waitStatus = try XCTUnwrap(status, "the server stopped after SIGTERM")
    XCTAssertEqual(waitStatus & 0x7f, 0, "ended by exiting, not by a signal")
    XCTAssertEqual((waitStatus >> 8) & 0xff, 0, log())
    XCTAssertThrowsError(try client.get("/v2/health/live"), "nothing listens any more")
    let text = log()
    let counts = try XCTUnwrap(
      text.range(of: #"received (\d+) requests and answered (\d+)"#, options: .regularExpression), text)
    let numbers = text[counts].split(separator: " ").compactMap { Int($0) }
    XCTAssertEqual(numbers.count, 2)
    XCTAssertEqual(numbers.first, numbers.last, "every request received was answered: \(text)")
  }
}
