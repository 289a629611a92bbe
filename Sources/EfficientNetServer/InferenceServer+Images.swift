import EfficientNetImageIO
import EfficientNetServing
import Foundation
import Hummingbird

extension InferenceServer {
  /// `POST /v1/models/{name}/classify` and `/detect`: the raw image bytes as the body (JPEG, PNG,
  /// DICOM), or several images as `multipart/form-data`. A raw body is answered with the JSON object
  /// `classify --json` / `detect --json` prints for one file; a multipart body with an array of
  /// them, one per image in order, each naming its file. `GET /v1/models` lists the models.
  func addImageRoutes(to router: Router<BasicRequestContext>) {
    let catalog = catalog, metrics = metrics, limit = options.maximumBodyBytes
    router.get("/v1/models") { _, _ in
      try JSONResponse.make(["models": catalog.names, "ready": catalog.models.map(\.name)])
    }
    router.post("/v1/models/:name/classify") { request, context in
      let name = try context.parameters.require("name")
      guard case .classifier(let service) = try catalog.model(named: name) else {
        throw RequestError.badRequest("model '\(name)' is a detector: POST /v1/models/\(name)/detect")
      }
      let top = try RequestBodies.integer(request, "top", in: 1...service.classCount, default: 5)
      return try await Self.answerEachImage(request, limit: limit) { file, image in
        let answer = try await service.classify(image, top: top)
        metrics.queued(model: name, duration: answer.queueTime)
        return ClassificationReport(file: file, predictions: answer.predictions)
      }
    }
    router.post("/v1/models/:name/detect") { request, context in
      let name = try context.parameters.require("name")
      guard case .detector(let service) = try catalog.model(named: name) else {
        throw RequestError.badRequest("model '\(name)' is a classifier: POST /v1/models/\(name)/classify")
      }
      let threshold = try RequestBodies.number(request, "score_threshold", in: 0...1, default: 0.3)
      return try await Self.answerEachImage(request, limit: limit) { file, image in
        let answer = try await service.detect(image, minimumScore: threshold, file: file)
        metrics.queued(model: name, duration: answer.queueTime)
        return answer.report
      }
    }
  }

  /// Answers every image of `request` with `answer`, all at once (so that they share batches):
  /// the one report for a raw body, the array of reports in part order for a multipart body.
  static func answerEachImage<Report: Encodable & Sendable>(
    _ request: Request, limit: Int,
    _ answer: @escaping @Sendable (_ file: String?, _ image: DecodedImage) async throws -> Report
  ) async throws -> Response {
    let images = try await RequestBodies.images(request, limit: limit)
    let reports = try await withThrowingTaskGroup(of: (Int, Report).self) { group in
      for (index, item) in images.enumerated() {
        group.addTask { (index, try await answer(item.file, item.image)) }
      }
      return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
    let ordered = (0..<images.count).map { reports[$0]! }
    return try RequestBodies.isMultipart(request) ? JSONResponse.make(ordered) : JSONResponse.make(ordered[0])
  }
}
