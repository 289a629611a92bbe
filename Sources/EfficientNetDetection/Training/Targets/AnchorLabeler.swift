import Foundation

/// effdet's `AnchorLabeler`: matches an image's ground-truth boxes to the anchors by IoU and
/// encodes the matched boxes (Faster R-CNN coder, no scale factors), in single precision as effdet.
public struct AnchorLabeler: Sendable {
  /// The anchors, `[y1, x1, y2, x2]`, level → row → column → scale → ratio.
  public let anchors: AnchorGrid
  /// The anchors per level, finest first.
  public let levelAnchorCounts: [Int]
  /// How anchors are matched to boxes.
  public var matching: AnchorMatching

  /// The box coder's epsilon, added to every height and width (effdet's `EPS`).
  public static let epsilon: Float = 1e-7

  /// A labeler for `layout`'s anchors at an input of `height`×`width`.
  public init(layout: DetectorLayout, height: Int, width: Int, matching: AnchorMatching = AnchorMatching()) {
    anchors = AnchorGrid(layout: layout, height: height, width: width)
    let sizes = layout.levelSizes(height: height, width: width)
    levelAnchorCounts = layout.configuration.levels.map {
      sizes[$0]!.height * sizes[$0]!.width * DetectorConfiguration.anchorsPerPosition
    }
    self.matching = matching
  }

  /// The labels of one image: `boxes` as `[y1, x1, y2, x2]` in input pixels, `classes` 1-based;
  /// boxes whose class is −1 or less (padding) are dropped first, as effdet's `filter_valid`.
  public func labels(boxes: [BoxCorners], classes: [Int]) -> AnchorLabels {
    precondition(boxes.count == classes.count, "one class per box")
    let valid = classes.indices.filter { classes[$0] > -1 }
    let validBoxes = valid.map { boxes[$0] }
    let similarity = validBoxes.map { box in
      // IoU is symmetric in the two axes, so the `[x1, y1, x2, y2]` helper serves `[y1, x1, y2, x2]`.
      anchors.boxes.map { BoxCoding.intersectionOverUnion(box, $0) }
    }
    let matches = matching.matches(similarity: similarity, anchorCount: anchors.boxes.count)
    var classTargets = [Int](repeating: AnchorLabels.backgroundClass, count: matches.count)
    var boxTargets = [Float](repeating: 0, count: matches.count * 4)
    var positiveCount = 0
    for (anchor, match) in matches.enumerated() {
      guard case .matched(let box) = match else { continue }
      positiveCount += 1
      classTargets[anchor] = classes[valid[box]] - 1
      let code = Self.encode(validBoxes[box], anchor: anchors.boxes[anchor])
      for coordinate in 0..<4 { boxTargets[anchor * 4 + coordinate] = code[coordinate] }
    }
    var classLevels: [[Int]] = []
    var boxLevels: [[Float]] = []
    var start = 0
    for count in levelAnchorCounts {
      classLevels.append(Array(classTargets[start..<start + count]))
      boxLevels.append(Array(boxTargets[start * 4..<(start + count) * 4]))
      start += count
    }
    return AnchorLabels(classTargets: classLevels, boxTargets: boxLevels, positiveCount: positiveCount)
  }

  /// effdet's `FasterRcnnBoxCoder.encode` of `box` against `anchor` (both `[y1, x1, y2, x2]`):
  /// `[ty, tx, th, tw]`, the centres from the sizes before the epsilon is added.
  public static func encode(_ box: BoxCorners, anchor: BoxCorners) -> SIMD4<Float> {
    let anchorHeight = anchor[2] - anchor[0]
    let anchorWidth = anchor[3] - anchor[1]
    let anchorCentreY = anchor[0] + anchorHeight / 2
    let anchorCentreX = anchor[1] + anchorWidth / 2
    let height = box[2] - box[0]
    let width = box[3] - box[1]
    let centreY = box[0] + height / 2
    let centreX = box[1] + width / 2
    let paddedAnchorHeight = anchorHeight + epsilon
    let paddedAnchorWidth = anchorWidth + epsilon
    return SIMD4(
      (centreY - anchorCentreY) / paddedAnchorHeight, (centreX - anchorCentreX) / paddedAnchorWidth,
      Foundation.log((height + epsilon) / paddedAnchorHeight),
      Foundation.log((width + epsilon) / paddedAnchorWidth))
  }
}
