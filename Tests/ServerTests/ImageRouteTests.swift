import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetServer
import EfficientNetServing
import EfficientNetTestSupport
import XCTest

/// `/v1/models/{name}/classify` and `/detect` on a real socket: each answer is exactly what the
/// classifier or detector gives the image alone, as `classify --json` / `detect --json` report it.
final class ImageRouteTests: XCTestCase {
  func testClassifyAnswersWhatClassifyGivesForRawAndMultipartBodies() async throws {
    let options = RunningServer.options(delay: .milliseconds(30))
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let classifier = try ImageClassifier.pretrainedLite0()
    let names = ["chelsea.jpg", "coffee.jpg"]
    let photos = try names.map(RunningServer.photo)
    let expected = try names.map {
      ClassificationReport(
        file: nil,
        predictions: try classifier.classify(
          ImageDecoder.decode(contentsOf: RepositoryPaths.samples.appendingPathComponent($0)), top: 3))
    }
    let raw = try await running.client.request(
      "POST", "/v1/models/efficientnet_lite0/classify?top=3", body: photos[0])
    XCTAssertEqual(raw.status, 200, raw.text)
    XCTAssertEqual(raw.headers["content-type"], "application/json")
    XCTAssertEqual(try raw.json(ClassificationReport.self), expected[0])
    XCTAssertEqual(expected[0].top.first?.label, "tabby")

    let boundary = "test-boundary-7MA4YWxk"
    var form = Data()
    for (name, photo) in zip(names, photos) {
      form.append(
        Data(
          "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\(name)\"\r\nContent-Type: image/jpeg\r\n\r\n"
            .utf8))
      form.append(photo)
      form.append(Data("\r\n".utf8))
    }
    form.append(Data("--\(boundary)--\r\n".utf8))
    let multipart = try await running.client.request(
      "POST", "/v1/models/efficientnet_lite0/classify?top=3",
      headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: form)
    XCTAssertEqual(multipart.status, 200, multipart.text)
    let reports = try multipart.json([ClassificationReport].self)
    XCTAssertEqual(reports.map(\.file), names)
    XCTAssertEqual(reports.map(\.top), expected.map(\.top))

    // A DICOM file as the raw body: windowed to 8 bits as `classify` does.
    let scan = try Data(
      contentsOf: RepositoryPaths.root.appendingPathComponent(
        "Tests/ImageIOTests/Fixtures/medical/CT_small.dcm"))
    let dicom = try await running.client.request("POST", "/v1/models/efficientnet_lite0/classify", body: scan)
    XCTAssertEqual(dicom.status, 200, dicom.text)
    let scanExpected = try classifier.classify(ImageDecoder.decode(data: scan, source: "CT_small.dcm"))
    XCTAssertEqual(
      try dicom.json(ClassificationReport.self), ClassificationReport(file: nil, predictions: scanExpected))
    try await running.stop()
  }

  func testDetectAnswersWhatTheDetectorGivesAlone() async throws {
    let options = RunningServer.options()
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.detector(options: options)]))
    let detector = ObjectDetector(
      model: try DeterministicDetectors.detector("tf_efficientdet_lite0", height: 128, width: 128))
    let photo = try RunningServer.photo("chelsea.jpg")
    let image = try ImageDecoder.decode(data: photo, source: "chelsea.jpg")
    let detections = try detector.detect(image, minimumScore: 0.2)
    XCTAssertFalse(detections.isEmpty, "the deterministic detector finds something to compare")
    let expected = DetectionReport(
      file: nil, image: image, detections: detections, className: detector.className)
    let answer = try await running.client.request(
      "POST", "/v1/models/detector/detect?score_threshold=0.2", body: photo)
    XCTAssertEqual(answer.status, 200, answer.text)
    XCTAssertEqual(try answer.json(DetectionReport.self), expected)
    let wrongRoute = try await running.client.request("POST", "/v1/models/detector/classify", body: photo)
    XCTAssertEqual(wrongRoute.status, 400)
    XCTAssertTrue(wrongRoute.text.contains("/v1/models/detector/detect"), wrongRoute.text)
    try await running.stop()
  }

  /// Concurrent requests share runs (fewer runs than requests, none over --max-batch) and each gets
  /// its own image's answer, bit for bit what the image alone gives.
  func testConcurrentRequestsAreBatchedAndAnsweredSeparately() async throws {
    let options = RunningServer.options(maximumBatch: 4, delay: .milliseconds(100))
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let classifier = try ImageClassifier.pretrainedLite0()
    let names = ["chelsea.jpg", "coffee.jpg"]
    let photos = try names.map(RunningServer.photo)
    let expected = try photos.map {
      ClassificationReport(
        file: nil, predictions: try classifier.classify(ImageDecoder.decode(data: $0, source: "x")))
    }
    let client = running.client
    let answers = try await withThrowingTaskGroup(of: (Int, HTTPTestClient.Response).self) { group in
      for index in 0..<10 {
        group.addTask {
          (
            index,
            try await client.request(
              "POST", "/v1/models/efficientnet_lite0/classify", body: photos[index % 2])
          )
        }
      }
      return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
    for index in 0..<10 {
      let answer = try XCTUnwrap(answers[index])
      XCTAssertEqual(answer.status, 200, answer.text)
      XCTAssertEqual(try answer.json(ClassificationReport.self), expected[index % 2], "request \(index)")
    }
    let metrics = try await client.request("GET", "/metrics").text
    let executions = try XCTUnwrap(Self.value(of: "efficientnet_execution_count_total", in: metrics))
    XCTAssertEqual(Self.value(of: "efficientnet_inference_count_total", in: metrics), 10)
    XCTAssertLessThan(executions, 10, "requests were gathered into batches:\n\(metrics)")
    XCTAssertEqual(
      Self.value(
        of: "efficientnet_batch_size_images_bucket{model=\"efficientnet_lite0\",le=\"4.0\"}", in: metrics),
      executions, "no batch is larger than --max-batch")
    XCTAssertEqual(
      Self.value(of: "efficientnet_requests_total{model=\"efficientnet_lite0\",status=\"200\"}", in: metrics),
      10)
    XCTAssertNotNil(
      Self.value(of: "efficientnet_queue_duration_seconds_count{model=\"efficientnet_lite0\"}", in: metrics))
    try await running.stop()
  }

  /// The number after `series` (a metric name, with its labels when given) in Prometheus text.
  static func value(of series: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      guard parts.count == 2 else { continue }
      let name = String(parts[0])
      if name == series || (!series.contains("{") && name.hasPrefix(series + "{")) { return Double(parts[1]) }
    }
    return nil
  }
}
