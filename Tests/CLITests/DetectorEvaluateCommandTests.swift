import EfficientNetCore
import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `efficientnet evaluate` on a detector and a COCO-format file: the numbers the library's
/// evaluation (equal to pycocotools', see DetectionTests) gives for the detector's own detections.
final class DetectorEvaluateCommandTests: XCTestCase {
  func testEvaluateReportsTheLibrarysCOCONumbers() throws {
    let folder = try makeTemporaryFolder("detector-evaluate")
    var configuration = try DetectorRegistry.configuration(named: "efficientdet-lite0")
    configuration.classCount = 2
    var tensors: [String: Tensor] = [:]
    var writer = SafeTensorsWriter()
    for parameter in try DetectorLayout(configuration).parameters {
      let tensor = DeterministicWeights.tensor(named: parameter.name, shape: parameter.shape)
      tensors[parameter.name] = tensor
      try writer.add(name: parameter.name, shape: tensor.shape, values: tensor.scalars)
    }
    let weights = folder.appendingPathComponent("lite0.safetensors")
    try writer.write(to: weights)
    try FileManager.default.copyItem(
      at: RepositoryPaths.samples.appendingPathComponent("chelsea.jpg"),
      to: folder.appendingPathComponent("chelsea.jpg"))
    // Ground truth: the detector's own best box of each class (with area), so AP is well above 0.
    let model = try EfficientDet(configuration: configuration, tensors: tensors)
    let objects = try ObjectDetector(model: model).detect(
      try ImageDecoder.decode(contentsOf: folder.appendingPathComponent("chelsea.jpg")))
    let boxes = try (1...2).map { classIndex in
      try XCTUnwrap(
        objects.first {
          $0.classIndex == classIndex && $0.box[2] - $0.box[0] > 4 && $0.box[3] - $0.box[1] > 4
        })
    }
    let entries = boxes.enumerated().map { index, object in
      let (x, y, w, h) = (
        object.box[0], object.box[1], object.box[2] - object.box[0], object.box[3] - object.box[1]
      )
      return
        #"{"id": \#(index + 1), "image_id": 7, "category_id": \#(object.classIndex), "bbox": [\#(x), \#(y), \#(w), \#(h)], "area": \#(w * h), "iscrowd": 0}"#
    }
    let annotations = """
      {"images": [{"id": 7, "file_name": "chelsea.jpg", "width": 451, "height": 300}],
       "categories": [{"id": 1, "name": "eye"}, {"id": 2, "name": "nose"}],
       "annotations": [\(entries.joined(separator: ", "))]}
      """
    let annotationFile = folder.appendingPathComponent("annotations.json")
    try Data(annotations.utf8).write(to: annotationFile)

    let result = try CLITool.run([
      "evaluate", "--model", "efficientdet-lite0", "--weights", weights.path, "--data", annotationFile.path,
      "--json",
    ])
    XCTAssertEqual(result.status, 0, result.error)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    let stats = try XCTUnwrap(object["stats"] as? [String: Double])

    let dataset = try COCOAnnotationReader().read(annotationFile)
    let evaluation = COCOEvaluation(
      groundTruth: dataset,
      detections: COCODetectionRecord.records(objects, imageIdentifier: 7, dataset: dataset))
    for (name, value) in zip(
      ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AR1", "AR10", "AR100"],
      evaluation.statistics)
    {
      XCTAssertEqual(try XCTUnwrap(stats[name], name), value, accuracy: 1e-12, name)
    }
    XCTAssertEqual(object["detections"] as? Int, objects.count)
    XCTAssertEqual(stats["AR100"] ?? 0, 1, accuracy: 1e-9, "both objects are found at every IoU threshold")
  }

  func testMissingImageIsNamed() throws {
    let folder = try makeTemporaryFolder("detector-evaluate-missing")
    let annotations = """
      {"images": [{"id": 1, "file_name": "gone.jpg", "width": 10, "height": 10}], "categories": [{"id": 1, "name": "a"}],
       "annotations": []}
      """
    let annotationFile = folder.appendingPathComponent("annotations.json")
    try Data(annotations.utf8).write(to: annotationFile)
    let result = try CLITool.run([
      "evaluate", "--model", "efficientdet-lite0", "--weights", "/nonexistent.safetensors", "--data",
      annotationFile.path,
    ])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.error.contains("/nonexistent.safetensors"), result.error)
  }
}
