import EfficientNetCore
import Foundation

/// One detected object.
public struct Detection: Equatable, Sendable, Codable {
  /// `[x1, y1, x2, y2]` in input pixels (or the original image's, once mapped back).
  public var box: BoxCorners
  /// The sigmoid of the class logit (rescored under soft-NMS).
  public var score: Float
  /// The class, 1-based (0 is background, as effdet and COCO count).
  public var classIndex: Int

  /// A detection of `box`, `score` and `classIndex`.
  public init(box: BoxCorners, score: Float, classIndex: Int) {
    self.box = box
    self.score = score
    self.classIndex = classIndex
  }
}

/// effdet's `DetBenchPredict` post-processing: the top 5,000 (anchor, class) logits of an image,
/// their boxes decoded against the anchors, sigmoid scores, per-class suppression, the best 100.
public struct DetectionDecoding: Sendable {
  /// The candidates kept before suppression (effdet's `max_detection_points`).
  public var candidateCount = 5_000
  /// The detections kept per image (effdet's `max_det_per_image`).
  public var detectionLimit = 100
  /// The suppression.
  public var suppression = NonMaximumSuppression.Method.standard

  /// effdet's defaults.
  public init() {}

  /// The detections of every image of `output`, best first, at most ``detectionLimit`` each.
  ///
  /// - Parameters:
  ///   - output: the heads' outputs for a batch.
  ///   - anchors: the anchors of the input size the batch ran at.
  ///   - classCount: the classes the class head predicts.
  ///   - clipWidth, clipHeight: when given, boxes are clipped to `[0, clipWidth] × [0, clipHeight]`
  ///     before suppression (effdet with image information: the letterboxed image's extent).
  public func detections(
    _ output: DetectorOutput, anchors: AnchorGrid, classCount: Int, clipWidth: Float? = nil,
    clipHeight: Float? = nil
  ) -> [[Detection]] {
    let batch = output.classOutputs.first?.shape[0] ?? 0
    return (0..<batch).map { image in
      let logits = Self.flattened(output.classOutputs, image: image)
      let codes = Self.flattened(output.boxOutputs, image: image)
      precondition(logits.count == anchors.boxes.count * classCount, "class outputs do not fit the anchors")
      let candidates = Self.topIndices(logits, count: min(candidateCount, logits.count))
      var boxes: [BoxCorners] = []
      var scores: [Float] = []
      var classes: [Int] = []
      for flat in candidates {
        let (anchor, classIndex) = flat.quotientAndRemainder(dividingBy: classCount)
        let code = SIMD4<Float>(
          codes[anchor * 4], codes[anchor * 4 + 1], codes[anchor * 4 + 2], codes[anchor * 4 + 3])
        var box = BoxCoding.decode(code, anchor: anchors.boxes[anchor])
        if let clipWidth, let clipHeight {
          box = pointwiseMin(
            pointwiseMax(box, .zero), BoxCorners(clipWidth, clipHeight, clipWidth, clipHeight))
        }
        boxes.append(box)
        scores.append(1 / (1 + Foundation.exp(-logits[flat])))
        classes.append(classIndex)
      }
      let kept = NonMaximumSuppression.select(
        boxes: boxes, scores: scores, classes: classes, method: suppression, limit: detectionLimit)
      return kept.map { Detection(box: boxes[$0.index], score: $0.score, classIndex: classes[$0.index] + 1) }
    }
  }

  /// Image `image`'s values of every level, NHWC rows concatenated (level, row, column, channel).
  static func flattened(_ levels: [Tensor], image: Int) -> [Float] {
    var values: [Float] = []
    for level in levels {
      let perImage = level.count / level.shape[0]
      level.withUnsafeBufferPointer {
        values.append(contentsOf: $0[(image * perImage)..<((image + 1) * perImage)])
      }
    }
    return values
  }

  /// The indices of the `count` largest values, largest first (equal values: lower index first).
  static func topIndices(_ values: [Float], count: Int) -> [Int] {
    guard count < values.count else {
      return values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
    }
    // The count-th largest value bounds the selection; sort only what passes it.
    let threshold = values.sorted(by: >)[count - 1]
    let passing = values.indices.filter { values[$0] >= threshold }
    return Array(
      passing.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(count))
  }
}
