import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetModels
import Foundation

/// What `classify --json` prints for one image and what the server answers: the file (when there
/// is one) and the top classes.
public struct ClassificationReport: Codable, Equatable, Sendable {
  /// One class of the answer.
  public struct Entry: Codable, Equatable, Sendable {
    /// The class index.
    public var `class`: Int
    /// The class name.
    public var label: String
    /// The softmax probability.
    public var probability: Float
  }

  /// The image's file (or its multipart file name); absent for a raw request body.
  public var file: String?
  /// The most probable classes, best first.
  public var top: [Entry]

  /// The report of `predictions` for `file`.
  public init(file: String?, predictions: [Prediction]) {
    self.file = file
    top = predictions.map { Entry(class: $0.classIndex, label: $0.label, probability: $0.probability) }
  }
}

/// What `detect --json` prints for one image and what the server answers: the file (when there is
/// one), the image's size and its objects, boxes as `[x1, y1, x2, y2]` in its pixels.
public struct DetectionReport: Codable, Equatable, Sendable {
  /// One object of the answer.
  public struct Object: Codable, Equatable, Sendable {
    /// The class, 1-based as effdet and COCO count.
    public var `class`: Int
    /// The class name.
    public var label: String
    /// The detection's score.
    public var score: Float
    /// `[x1, y1, x2, y2]` in the image's pixels.
    public var box: [Float]
  }

  /// The image's file (or its multipart file name); absent for a raw request body.
  public var file: String?
  /// The image's width and height in pixels.
  public var width: Int, height: Int
  /// The objects, best first.
  public var objects: [Object]

  /// The report of `detections` in `image`, named by `className`.
  public init(
    file: String?, image: DecodedImage, detections: [Detection], className: (Detection) -> String
  ) {
    self.file = file
    width = image.width
    height = image.height
    objects = detections.map {
      Object(
        class: $0.classIndex, label: className($0), score: $0.score,
        box: [$0.box[0], $0.box[1], $0.box[2], $0.box[3]])
    }
  }
}

/// The one JSON style of reports: sorted keys, slashes as they are.
public enum ReportJSON {
  /// `value` as one line of JSON.
  public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
  }

  /// `value` as one line of JSON text.
  public static func line<Value: Encodable>(_ value: Value) throws -> String {
    String(decoding: try encode(value), as: UTF8.self)
  }
}
