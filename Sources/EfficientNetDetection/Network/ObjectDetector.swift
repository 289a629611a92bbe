import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import Foundation

/// Images in, objects out: effdet's letterbox, the detector, its post-processing, and the boxes
/// mapped back to the original image's pixels (clipped to the image), as effdet's
/// `DetBenchPredict` does with image information.
public final class ObjectDetector {
  /// The detector's configuration.
  public let configuration: DetectorConfiguration
  /// The class names, index 0 for class 1 (from the weights, else COCO's for 90 classes, else
  /// "class N").
  public let classNames: [String]
  /// The post-processing (suppression, limits).
  public var decoding = DetectionDecoding()
  let engine: DetectorEngine
  let letterbox: Letterbox
  let anchors: AnchorGrid

  /// A detector for `model`; `classNames` override the names the model's weights stored.
  public init(model: EfficientDet, classNames: [String]? = nil) {
    let classNames = classNames ?? model.classNames
    configuration = model.configuration
    engine = DetectorEngine(model)
    letterbox = Letterbox(configuration: configuration)
    anchors = AnchorGrid(
      layout: model.layout, height: configuration.inputHeight, width: configuration.inputWidth)
    let count = configuration.classCount
    if let classNames, classNames.count == count {
      self.classNames = classNames
    } else if count == COCOLabels.names.count {
      self.classNames = COCOLabels.names
    } else {
      self.classNames = (1...count).map { "class \($0)" }
    }
  }

  /// The objects in `image` scoring at least `minimumScore`, best first, boxes in its pixels.
  public func detect(_ image: DecodedImage, minimumScore: Float = 0) throws -> [Detection] {
    let (input, scale) = letterbox.input(image)
    let output = try engine.evaluate(input)
    var detections = decoding.detections(
      output, anchors: anchors, classCount: configuration.classCount,
      clipWidth: Float(Double(image.width) * scale),
      clipHeight: Float(Double(image.height) * scale))[0]
    let back = Float(1 / scale)
    for index in detections.indices { detections[index].box *= back }
    return detections.filter { $0.score >= minimumScore }
  }

  /// The name of a detection's class.
  public func className(_ detection: Detection) -> String {
    classNames.indices.contains(detection.classIndex - 1)
      ? classNames[detection.classIndex - 1] : "class \(detection.classIndex)"
  }
}
