import EfficientNetCore
import EfficientNetKernels
import EfficientNetServing
import Foundation
import HTTPTypes
import Hummingbird

extension InferenceServer {
  /// The outputs a classifier gives on `/v2/models/{name}/infer`.
  static let classifierOutputs = ["logits", "probabilities"]

  /// The Open Inference Protocol, version 2: server and model metadata, model readiness, and
  /// `infer` with JSON tensors or the binary-data extension (classifiers; detectors answer on
  /// `/v1/models/{name}/detect`).
  func addInferenceProtocolRoutes(to router: Router<BasicRequestContext>) {
    let catalog = catalog, metrics = metrics, limit = options.maximumBodyBytes
    let maximumBatch = options.maximumBatch
    router.get("/v2") { _, _ in
      try JSONResponse.make(
        ServerMetadata(name: "swift-efficientnet", version: "1", extensions: ["binary_tensor_data"]))
    }
    router.get("/v2/models/:name") { _, context in
      let name = try context.parameters.require("name")
      return try JSONResponse.make(
        Self.metadata(name: name, model: try catalog.model(named: name), maximumBatch: maximumBatch))
    }
    router.get("/v2/models/:name/ready") { _, context in
      let name = try context.parameters.require("name")
      _ = try catalog.model(named: name)
      return try JSONResponse.make(["name": name, "ready": "true"])
    }
    router.post("/v2/models/:name/infer") { request, context in
      let name = try context.parameters.require("name")
      guard case .classifier(let service) = try catalog.model(named: name) else {
        throw RequestError.badRequest(
          "model '\(name)' is a detector; send its images to POST /v1/models/\(name)/detect")
      }
      let headerLength = try request.headers[HTTPField.Name(InferenceProtocol.headerLengthField)!].map {
        text in
        guard let value = Int(text), value >= 0 else {
          throw RequestError.badRequest(
            "\(InferenceProtocol.headerLengthField): '\(text)' is not a byte count")
        }
        return value
      }
      let body = try await RequestBodies.collect(request, limit: limit)
      let call = try InferenceCall(
        body: body, headerLength: headerLength,
        limits: .init(
          channels: service.inputChannels, maximumBatch: maximumBatch, sides: Self.sides(service),
          outputNames: Self.classifierOutputs))
      let answer = try await service.logits(nhwc: call.input.nchwToNHWC())
      metrics.queued(model: name, duration: answer.queueTime)
      var probabilities = answer.logits
      let classes = probabilities.shape[1]
      probabilities.withUnsafeMutableBufferPointer {
        Softmax.softmaxRows($0, rows: $0.count / classes, columns: classes, pool: .shared)
      }
      let (payload, jsonLength) = try call.response(
        modelName: name, tensors: ["logits": answer.logits, "probabilities": probabilities])
      var headers: HTTPFields = [
        .contentType: jsonLength == nil ? "application/json" : "application/octet-stream"
      ]
      if let jsonLength { headers[HTTPField.Name(InferenceProtocol.headerLengthField)!] = String(jsonLength) }
      return Response(
        status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: payload)))
    }
  }

  /// The image sides a classifier takes on `infer`: 16 up to twice its resolution (at least 512).
  static func sides(_ service: ClassificationService) -> ClosedRange<Int> {
    16...max(512, 2 * service.classifier.preprocessing.resolution)
  }

  /// `GET /v2/models/{name}`.
  static func metadata(name: String, model: ServedModel, maximumBatch: Int) -> InferenceProtocol.ModelMetadata
  {
    typealias Value = InferenceProtocol.ParameterValue
    switch model {
    case .classifier(let service):
      let preprocessing = service.classifier.preprocessing
      let classes = service.classCount
      let parameters: [String: Value] = [
        "task": .string("classification"), "architecture": .string(service.classifier.configuration.name),
        "layout": .string("NCHW"), "max_batch_size": .number(Double(maximumBatch)),
        "resolution": .number(Double(preprocessing.resolution)),
        "resize_shorter_side": .number(Double(preprocessing.resizeSize)),
        "crop_fraction": .number(preprocessing.cropFraction),
        "interpolation": .string(preprocessing.interpolation.rawValue), "pixel_scale": .number(1.0 / 255),
        "mean": .numbers(preprocessing.mean.map(Double.init)),
        "std": .numbers(preprocessing.standardDeviation.map(Double.init)),
        "min_side": .number(Double(sides(service).lowerBound)),
        "max_side": .number(Double(sides(service).upperBound)),
        "class_names": .strings(service.classifier.labels),
      ]
      return .init(
        name: name, versions: ["1"], platform: "swift-efficientnet",
        inputs: [.init(name: "input", shape: [-1, service.inputChannels, -1, -1])],
        outputs: classifierOutputs.map { .init(name: $0, shape: [-1, classes]) }, parameters: parameters)
    case .detector(let service):
      let configuration = service.configuration
      return .init(
        name: name, versions: ["1"], platform: "swift-efficientnet",
        inputs: [.init(name: "image", shape: [1], datatype: "BYTES")],
        outputs: [.init(name: "detections", shape: [-1, 6])],
        parameters: [
          "task": .string("detection"), "architecture": .string(configuration.name),
          "input_height": .number(Double(configuration.inputHeight)),
          "input_width": .number(Double(configuration.inputWidth)),
          "endpoint": .string("/v1/models/\(name)/detect"),
          "box_format": .string("x1 y1 x2 y2 in the image's pixels"),
        ])
    }
  }
}

/// `GET /v2`: the server's name, version and protocol extensions.
struct ServerMetadata: Codable {
  var name: String
  var version: String
  var extensions: [String]
}
