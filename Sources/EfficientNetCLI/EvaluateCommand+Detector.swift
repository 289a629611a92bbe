import EfficientNetDetection
import EfficientNetImageIO
import Foundation

extension EvaluateCommand {
  /// The JSON keys of COCO's twelve numbers, in `stats` order.
  static let cocoStatisticNames = [
    "AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AR1", "AR10", "AR100", "AR_small",
    "AR_medium",
    "AR_large",
  ]

  /// Evaluates detector `name` on the COCO-format annotation file `--data` (images beside it, or in
  /// `--images`): COCO's twelve numbers as pycocotools computes them, and AP per category.
  func runDetector(_ name: String) throws {
    let dataset = try COCOAnnotationReader().read(
      URL(fileURLWithPath: data), imageFolder: images.map { URL(fileURLWithPath: $0) })
    let model = try EfficientDet.load(
      configuration: try DetectorRegistry.configuration(named: name),
      contentsOf: URL(fileURLWithPath: weights))
    guard model.configuration.classCount >= dataset.categories.count else {
      throw CommandError(
        "\(data) has \(dataset.categories.count) categories but the detector (\(weights)) predicts "
          + "\(model.configuration.classCount) classes; evaluate a detector trained on these categories")
    }
    let detector = ObjectDetector(model: model, classNames: dataset.categories.map(\.name))
    let progress = ProgressBar(total: dataset.images.count, label: "evaluate", enabled: true)
    var records: [COCODetectionRecord] = []
    for image in dataset.images {
      let decoded = try ImageDecoder.decode(contentsOf: dataset.path(of: image))
      guard decoded.width == image.width, decoded.height == image.height else {
        throw CommandError(
          "\(dataset.path(of: image).path): the image is \(decoded.width)x\(decoded.height) but \(data) says "
            + "\(image.width)x\(image.height)")
      }
      let objects = try ModelLoading.attributingOverflow(to: weights) { try detector.detect(decoded) }
      records += COCODetectionRecord.records(objects, imageIdentifier: image.identifier, dataset: dataset)
      progress.advance()
    }
    progress.finish()
    let evaluation = COCOEvaluation(groundTruth: dataset, detections: records)
    if json {
      let categories: [[String: Any]] = evaluation.categoryResults.map {
        [
          "id": $0.category.identifier, "name": $0.category.name, "AP": $0.averagePrecision,
          "AP50": $0.averagePrecisionAtHalf, "AP75": $0.averagePrecisionAtThreeQuarters,
          "AR100": $0.averageRecall,
        ]
      }
      let object: [String: Any] = [
        "model": model.configuration.name, "images": dataset.images.count, "detections": records.count,
        "stats": Dictionary(uniqueKeysWithValues: zip(Self.cocoStatisticNames, evaluation.statistics)),
        "categories": categories,
      ]
      let text = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: text, as: UTF8.self))
    } else {
      print(
        "\(model.configuration.name) on \(data): \(dataset.images.count) images, \(records.count) detections")
      print(evaluation.summary)
      print(evaluation.categoryTable)
    }
  }
}
