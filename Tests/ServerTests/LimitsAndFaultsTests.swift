import EfficientNetModels
import EfficientNetServer
import EfficientNetServing
import EfficientNetTestSupport
import Synchronization
import XCTest

/// Bad input, limits, tokens, readiness and a full queue: each answered with the right status and a
/// JSON error naming what was wrong, and the server answering good requests after every one of them.
final class LimitsAndFaultsTests: XCTestCase {
  struct ErrorBody: Decodable { var error: String }

  func testBadRequestsGetJSONErrorsNamingTheFaultAndTheServerGoesOn() async throws {
    var options = RunningServer.options()
    options.maximumBodyBytes = 4 << 20
    let running = try await RunningServer(
      InferenceServer(
        options: options,
        models: [RunningServer.lite0(options: options), RunningServer.detector(options: options)]))
    let client = running.client
    let photo = try RunningServer.photo("chelsea.jpg")
    let classify = "/v1/models/efficientnet_lite0/classify"
    let infer = "/v2/models/efficientnet_lite0/infer"
    var random = SplitMix64(seed: 7)
    let garbage = Data((0..<5000).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    func input(_ shape: String, _ type: String = "FP32", _ data: String = "[1, 2]") -> Data {
      Data(#"{"inputs":[{"name":"input","shape":\#(shape),"datatype":"\#(type)","data":\#(data)}]}"#.utf8)
    }
    let cases: [(String, String, Data, [(String, String)], Int, String)] = [
      ("truncated JPEG", classify, photo.prefix(3000), [], 400, "truncated"),
      ("random bytes", classify, garbage, [], 400, "unsupported image format"),
      ("empty body", classify, Data(), [], 400, "request body"),
      ("unknown model", "/v1/models/nope/classify", photo, [], 404, "'nope' is not served"),
      ("top out of range", classify + "?top=0", photo, [], 400, "top=0"),
      ("top not a number", classify + "?top=five", photo, [], 400, "top=five"),
      (
        "multipart without boundary", classify, photo, [("Content-Type", "multipart/form-data")], 400,
        "boundary"
      ),
      (
        "multipart truncated", classify,
        Data("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxx".utf8),
        [("Content-Type", "multipart/form-data; boundary=b")], 400, "closing boundary"
      ),
      ("malformed JSON", infer, Data("{\"inputs\": [".utf8), [], 400, "not a valid inference request"),
      ("wrong shape", infer, input("[1, 4, 64, 64]"), [], 400, "inputs[0].shape"),
      ("wrong rank", infer, input("[3, 64]"), [], 400, "inputs[0].shape"),
      ("wrong type", infer, input("[1, 3, 64, 64]", "INT8"), [], 400, "inputs[0].datatype"),
      ("too few values", infer, input("[1, 3, 16, 16]"), [], 400, "inputs[0].data: 2 values"),
      ("not numbers", infer, input("[1, 3, 16, 16]", "FP32", #"["a"]"#), [], 400, "inputs[0].data"),
      (
        "binary size without header", infer,
        Data(
          #"{"inputs":[{"name":"input","shape":[1,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":3072}}]}"#
            .utf8),
        [], 400, "Inference-Header-Content-Length"
      ),
      (
        "header length past the body", infer, input("[1,3,16,16]"),
        [("Inference-Header-Content-Length", "99999")], 400, "99999"
      ),
      ("infer on a detector", "/v2/models/detector/infer", input("[1,3,16,16]"), [], 400, "detector"),
    ]
    for (label, path, body, headers, status, fragment) in cases {
      let answer = try await client.request("POST", path, headers: headers, body: body)
      XCTAssertEqual(answer.status, status, "\(label): \(answer.text)")
      XCTAssertEqual(answer.headers["content-type"], "application/json", label)
      let message = try answer.json(ErrorBody.self).error
      XCTAssertTrue(message.contains(fragment), "\(label): '\(message)' should name '\(fragment)'")
    }
    // Bodies over the limit: refused from Content-Length before any of the body is sent, and a
    // chunked one as soon as it passes the limit.
    let declared = try await client.request("POST", classify, body: Data(), declaredLength: 50 << 20)
    XCTAssertEqual(declared.status, 413, declared.text)
    XCTAssertTrue(try declared.json(ErrorBody.self).error.contains("--max-body-mb"))
    let chunked = try await client.request("POST", classify, body: Data(count: 6 << 20), chunked: true)
    XCTAssertEqual(chunked.status, 413, chunked.text)
    let notFound = try await client.request("GET", "/v3/anything")
    XCTAssertEqual(notFound.status, 404)
    XCTAssertNoThrow(try notFound.json(ErrorBody.self))
    // And still answers.
    let good = try await client.request("POST", classify, body: photo)
    XCTAssertEqual(good.status, 200, good.text)
    XCTAssertEqual(try good.json(ClassificationReport.self).top.first?.label, "tabby")
    let metrics = try await client.request("GET", "/metrics").text
    XCTAssertEqual(
      ImageRouteTests.value(of: "efficientnet_requests_total{model=\"-\",status=\"404\"}", in: metrics), 2)
    try await running.stop()
  }

  func testATokenGuardsEveryRouteButHealthAndMetrics() async throws {
    var options = RunningServer.options()
    options.token = "s3cret-token"
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let client = running.client
    let photo = try RunningServer.photo("coffee.jpg")
    for path in ["/v2/health/live", "/v2/health/ready", "/metrics"] {
      let answer = try await client.request("GET", path)
      XCTAssertEqual(answer.status, 200, path)
    }
    let none = try await client.request("POST", "/v1/models/efficientnet_lite0/classify", body: photo)
    XCTAssertEqual(none.status, 401)
    XCTAssertEqual(none.headers["www-authenticate"], "Bearer")
    let wrong = try await client.request(
      "GET", "/v2/models/efficientnet_lite0", headers: [("Authorization", "Bearer s3cret-tokem")])
    XCTAssertEqual(wrong.status, 401)
    let right = try await client.request(
      "POST", "/v1/models/efficientnet_lite0/classify", headers: [("Authorization", "Bearer s3cret-token")],
      body: photo)
    XCTAssertEqual(right.status, 200, right.text)
    try await running.stop()
  }

  /// Ready only once every model has loaded; a model still loading answers 503.
  func testReadinessWaitsForEveryModel() async throws {
    let options = RunningServer.options()
    let release = DispatchSemaphore(value: 0)
    let slow = ModelSpecification(name: "slow") { observer in
      release.wait()
      return try RunningServer.lite0(options: options).load(observer)
    }
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options), slow]),
      waitForReady: false)
    let client = running.client
    let live = try await client.request("GET", "/v2/health/live")
    XCTAssertEqual(live.status, 200)
    let notReady = try await client.request("GET", "/v2/health/ready")
    XCTAssertEqual(notReady.status, 503, notReady.text)
    let loading = try await client.request(
      "POST", "/v1/models/slow/classify", body: RunningServer.photo("coffee.jpg"))
    XCTAssertEqual(loading.status, 503)
    XCTAssertTrue(loading.text.contains("still loading"), loading.text)
    release.signal()
    var ready = 503
    for _ in 0..<500 where ready != 200 {
      ready = try await client.request("GET", "/v2/health/ready").status
      try await Task.sleep(for: .milliseconds(20))
    }
    XCTAssertEqual(ready, 200)
    let answer = try await client.request(
      "POST", "/v1/models/slow/classify", body: RunningServer.photo("coffee.jpg"))
    XCTAssertEqual(answer.status, 200, answer.text)
    try await running.stop()
  }

  /// Past the in-flight limit a request is refused at once, before its body is read (so memory stays
  /// within that many bodies); health checks are never refused.
  func testRequestsPastTheInFlightLimitAreRefusedBeforeTheirBodies() async throws {
    var options = RunningServer.options(maximumBatch: 8, delay: .milliseconds(1500), queueLimit: 8)
    options.maximumInFlight = 2
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let client = running.client
    let photo = try RunningServer.photo("coffee.jpg")
    let path = "/v1/models/efficientnet_lite0/classify"
    async let first = client.request("POST", path, body: photo)
    async let second = client.request("POST", path, body: photo)
    let depth = try await client.waitForQueueDepth(2, model: "efficientnet_lite0")
    XCTAssertEqual(depth, 2)
    // Declares 10 MB and sends none of it: answered anyway.
    let refused = try await client.request("POST", path, body: Data(), declaredLength: 10 << 20)
    XCTAssertEqual(refused.status, 503, refused.text)
    XCTAssertEqual(refused.headers["retry-after"], "1")
    XCTAssertTrue(refused.text.contains("handling 2 requests"), refused.text)
    let health = try await client.request("GET", "/v2/health/ready")
    XCTAssertEqual(health.status, 200)
    let answers = try await [first, second]
    XCTAssertEqual(answers.map(\.status), [200, 200])
    try await running.stop()
  }

  /// A client that stops sending its body is cut off after the idle timeout instead of holding its
  /// connection for ever.
  func testAStalledUploadIsClosedAfterTheIdleTimeout() async throws {
    var options = RunningServer.options()
    options.idleTimeout = .seconds(1)
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let started = ContinuousClock.now
    do {
      let answer = try await running.client.request(
        "POST", "/v1/models/efficientnet_lite0/classify", body: Data(count: 100), declaredLength: 1 << 20)
      XCTFail("a stalled upload was answered: \(answer.status) \(answer.text)")
    } catch is HTTPTestClient.Failure {
      XCTAssertLessThan(
        ContinuousClock.now - started, .seconds(8), "closed by the idle timeout, not the client's")
    }
    let health = try await running.client.request("GET", "/v2/health/live")
    XCTAssertEqual(health.status, 200)
    try await running.stop()
  }

  /// A full queue answers 503 with Retry-After instead of growing; what was queued is answered.
  func testAFullQueueAnswers503WithRetryAfter() async throws {
    let options = RunningServer.options(maximumBatch: 8, delay: .milliseconds(1500), queueLimit: 2)
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let client = running.client
    let photo = try RunningServer.photo("chelsea.jpg")
    let path = "/v1/models/efficientnet_lite0/classify"
    async let first = client.request("POST", path, body: photo)
    async let second = client.request("POST", path, body: photo)
    // Wait until both wait in the queue (the batch waits 1.5 s for company).
    let depth = try await client.waitForQueueDepth(2, model: "efficientnet_lite0")
    XCTAssertEqual(depth, 2)
    let refused = try await client.request("POST", path, body: photo)
    XCTAssertEqual(refused.status, 503, refused.text)
    XCTAssertEqual(refused.headers["retry-after"], "1")
    XCTAssertTrue(refused.text.contains("queue is full"), refused.text)
    let answers = try await [first, second]
    XCTAssertEqual(answers.map(\.status), [200, 200])
    try await running.stop()
  }
}
