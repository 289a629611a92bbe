import Foundation

/// One detection as COCO evaluation takes it: image, category, box and score, in double precision as
/// pycocotools computes.
///
/// The box is `[x, y, width, height]` (COCO's `bbox`, (x, y) the top-left corner) in the original
/// image's pixels; ``init(imageIdentifier:categoryIdentifier:corners:score:)`` takes `[x1, y1, x2, y2]`.
public struct COCODetectionRecord: Equatable, Sendable {
  /// The `id` of the image.
  public var imageIdentifier: Int
  /// The `id` of the category.
  public var categoryIdentifier: Int
  /// `[x, y, width, height]` in pixels.
  public var box: SIMD4<Double>
  /// The confidence; higher first.
  public var score: Double

  /// A detection of box `[x, y, width, height]`.
  public init(imageIdentifier: Int, categoryIdentifier: Int, box: SIMD4<Double>, score: Double) {
    self.imageIdentifier = imageIdentifier
    self.categoryIdentifier = categoryIdentifier
    self.box = box
    self.score = score
  }

  /// A detection of box corners `[x1, y1, x2, y2]`.
  public init(imageIdentifier: Int, categoryIdentifier: Int, corners: SIMD4<Double>, score: Double) {
    self.init(
      imageIdentifier: imageIdentifier, categoryIdentifier: categoryIdentifier,
      box: SIMD4(corners[0], corners[1], corners[2] - corners[0], corners[3] - corners[1]), score: score)
  }

  /// The records of `detections` of image `imageIdentifier`, their boxes in that image's pixels, each
  /// class mapped to the `id` of `dataset`'s category of that place (class 1 is the first category);
  /// detections of a class the dataset has no category for are left out.
  public static func records(
    _ detections: [Detection], imageIdentifier: Int, dataset: COCODataset
  ) -> [COCODetectionRecord] {
    detections.compactMap { detection in
      guard let category = dataset.categoryIdentifier(classIndex: detection.classIndex) else { return nil }
      let corners = SIMD4<Double>(
        Double(detection.box[0]), Double(detection.box[1]), Double(detection.box[2]),
        Double(detection.box[3]))
      return COCODetectionRecord(
        imageIdentifier: imageIdentifier, categoryIdentifier: category, corners: corners,
        score: Double(detection.score))
    }
  }
}
