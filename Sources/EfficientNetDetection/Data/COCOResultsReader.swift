import Foundation

/// Reads a COCO results file, the detections pycocotools' `loadRes` takes: a list of objects with
/// `image_id`, `category_id`, `bbox` `[x, y, width, height]` and `score`; each problem is a
/// ``COCOFormatError`` naming the file and the field (`[12].score: expected a finite number`).
public struct COCOResultsReader: Sendable {
  /// Files above this many bytes are refused before they are read (512 MiB).
  public var sizeLimit = 512 << 20

  /// A reader of files up to ``sizeLimit`` bytes.
  public init() {}

  /// The detections of the file `url`, in its order.
  public func read(_ url: URL) throws -> [COCODetectionRecord] {
    try records(JSONFileLoading.load(url, sizeLimit: sizeLimit), file: url.path)
  }

  /// The detections of `data`, named `name` in errors.
  public func read(_ data: Data, name: String) throws -> [COCODetectionRecord] {
    try records(JSONFileLoading.parse(data, name: name, sizeLimit: sizeLimit), file: name)
  }

  /// The detections of the parsed JSON `json`.
  func records(_ json: Any, file: String) throws -> [COCODetectionRecord] {
    guard let values = json as? [Any] else {
      throw COCOFormatError(file: file, field: "", problem: "expected a list of detections")
    }
    return try values.enumerated().map { index, value in
      let fields = try JSONFields(value, path: "[\(index)]", file: file)
      return try COCODetectionRecord(
        imageIdentifier: fields.integer("image_id"), categoryIdentifier: fields.integer("category_id"),
        box: fields.box("bbox"), score: fields.number("score"))
    }
  }
}
