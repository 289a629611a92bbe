import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetServer
import EfficientNetServing
import EfficientNetTestSupport
import XCTest

/// The Open Inference Protocol v2 on a real socket: health, metadata, and `infer` with JSON
/// tensors and with the binary-data extension, answering exactly the engine's logits for the same
/// input alone (what `efficientnet run` writes).
final class InferenceProtocolTests: XCTestCase {
  struct Metadata: Decodable {
    var name: String
    var inputs: [InferenceProtocol.TensorMetadata]
    var outputs: [InferenceProtocol.TensorMetadata]
    var parameters: [String: InferenceProtocol.ParameterValue]
  }

  func testHealthMetadataAndInferWithJSONAndBinaryTensors() async throws {
    let options = RunningServer.options()
    let running = try await RunningServer(
      InferenceServer(options: options, models: [RunningServer.lite0(options: options)]))
    let client = running.client
    let live = try await client.request("GET", "/v2/health/live")
    XCTAssertEqual(live.status, 200)
    let ready = try await client.request("GET", "/v2/health/ready")
    XCTAssertEqual(ready.status, 200, ready.text)
    XCTAssertEqual(ready.text, #"{"ready":true}"#)

    let metadata = try await client.request("GET", "/v2/models/efficientnet_lite0").json(Metadata.self)
    XCTAssertEqual(metadata.name, "efficientnet_lite0")
    XCTAssertEqual(metadata.inputs, [.init(name: "input", shape: [-1, 3, -1, -1])])
    XCTAssertEqual(metadata.outputs.map(\.name), ["logits", "probabilities"])
    XCTAssertEqual(metadata.outputs[0].shape, [-1, 1000])
    XCTAssertEqual(metadata.parameters["resolution"], .number(224))
    XCTAssertEqual(metadata.parameters["interpolation"], .string("bicubic"))
    XCTAssertEqual(
      metadata.parameters["mean"], .numbers(PreprocessingConfiguration.imageNetMean.map(Double.init)))
    if case .strings(let names)? = metadata.parameters["class_names"] {
      XCTAssertEqual(names.count, 1000)
      XCTAssertEqual(names[281], "tabby")
    } else {
      XCTFail("class_names missing: \(metadata.parameters.keys)")
    }
    let unknown = try await client.request("GET", "/v2/models/nope")
    XCTAssertEqual(unknown.status, 404)
    XCTAssertTrue(unknown.text.contains("'nope'"), unknown.text)

    // Two images of 72×96, values that JSON carries exactly (float32 in shortest form).
    let shape = [2, 3, 72, 96]
    let values = DeterministicWeights.uniform(count: shape.reduce(1, *), name: "v2 input").map {
      Float(2 * $0)
    }
    let engine = InferenceEngine(model: try ImageClassifier.pretrainedLite0Model())
    let expected = try XCTUnwrap(engine.evaluate(Tensor(shape: shape, values: values).nchwToNHWC()).logits)

    struct Input: Encodable {
      var name = "input", shape: [Int], datatype = "FP32", data: [Float]?, parameters: [String: Int]?
    }
    struct Request: Encodable {
      var id: String, inputs: [Input], outputs: [[String: String]]?, parameters: [String: Bool]?
    }
    let jsonBody = try JSONEncoder().encode(
      Request(
        id: "json-1", inputs: [Input(shape: shape, data: values, parameters: nil)],
        outputs: [["name": "logits"]],
        parameters: nil))
    let jsonAnswer = try await client.request("POST", "/v2/models/efficientnet_lite0/infer", body: jsonBody)
    XCTAssertEqual(jsonAnswer.status, 200, jsonAnswer.text)
    let response = try jsonAnswer.json(InferenceProtocol.InferenceResponse.self)
    XCTAssertEqual(response.id, "json-1")
    XCTAssertEqual(response.modelName, "efficientnet_lite0")
    XCTAssertEqual(response.outputs.map(\.name), ["logits"])
    XCTAssertEqual(response.outputs[0].shape, [2, 1000])
    XCTAssertEqual(response.outputs[0].data, expected.scalars, "JSON logits equal the engine's, bit for bit")

    // The binary-data extension both ways.
    let header = try JSONEncoder().encode(
      Request(
        id: "binary-1",
        inputs: [Input(shape: shape, data: nil, parameters: ["binary_data_size": values.count * 4])],
        outputs: nil, parameters: ["binary_data_output": true]))
    let bytes = values.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0) }
    let binaryAnswer = try await client.request(
      "POST", "/v2/models/efficientnet_lite0/infer",
      headers: [
        ("Inference-Header-Content-Length", String(header.count)),
        ("Content-Type", "application/octet-stream"),
      ],
      body: header + bytes)
    XCTAssertEqual(binaryAnswer.status, 200, binaryAnswer.text)
    let jsonLength = try XCTUnwrap(
      binaryAnswer.headers["inference-header-content-length"].flatMap { Int($0) })
    let binaryResponse = try JSONDecoder().decode(
      InferenceProtocol.InferenceResponse.self, from: binaryAnswer.body.prefix(jsonLength))
    XCTAssertEqual(binaryResponse.outputs.map(\.name), ["logits", "probabilities"])
    XCTAssertEqual(binaryResponse.outputs.map(\.parameters?.binaryDataSize), [8000, 8000])
    let tail = binaryAnswer.body.dropFirst(jsonLength)
    XCTAssertEqual(tail.count, 16_000)
    let floats = stride(from: 0, to: tail.count, by: 4).map { offset -> Float in
      let start = tail.startIndex + offset
      let word = tail[start..<(start + 4)].enumerated().reduce(UInt32(0)) {
        $0 | UInt32($1.element) << (8 * $1.offset)
      }
      return Float(bitPattern: word)
    }
    XCTAssertEqual(Array(floats[0..<2000]), expected.scalars, "binary logits equal the engine's, bit for bit")
    for row in 0..<2 {
      let probabilities = floats[(2000 + row * 1000)..<(3000 + row * 1000)]
      XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
      let logits = expected.scalars[(row * 1000)..<((row + 1) * 1000)]
      XCTAssertEqual(
        probabilities.indices.max { probabilities[$0] < probabilities[$1] }! - 2000 - row * 1000,
        logits.indices.max { logits[$0] < logits[$1] }! - row * 1000)
    }
    try await running.stop()
  }
}
