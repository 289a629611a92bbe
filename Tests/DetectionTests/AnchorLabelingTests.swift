import EfficientNetCore
import EfficientNetDetection
import EfficientNetTestSupport
import WeightIO
import XCTest

/// Anchor labels against effdet's `AnchorLabeler.batch_label_anchors` on `loss-fixture.safetensors`.
final class AnchorLabelingTests: XCTestCase {
  static let levels = 3...7

  /// tf_efficientdet_lite0 with 3 classes at 96×64, the fixture's detector.
  static func layout() throws -> DetectorLayout {
    var configuration = try DetectorRegistry.configuration(named: "tf_efficientdet_lite0")
    configuration.classCount = 3
    configuration.inputHeight = 96
    configuration.inputWidth = 64
    return try DetectorLayout(configuration)
  }

  /// The fixture's labels of both images, by our labeler.
  static func labels(_ fixture: SafeTensorsFile) throws -> [AnchorLabels] {
    let labeler = try AnchorLabeler(layout: layout(), height: 96, width: 64)
    let boxes = try fixture.tensor(named: "boxes").floats()
    let classes = try fixture.tensor(named: "classes").floats()
    return (0..<2).map { image in
      labeler.labels(
        boxes: (0..<5).map { row in
          let start = (image * 5 + row) * 4
          return BoxCorners(boxes[start], boxes[start + 1], boxes[start + 2], boxes[start + 3])
        },
        classes: (0..<5).map { Int(classes[image * 5 + $0]) })
    }
  }

  func testLabelsMatchEffdet() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "loss-fixture.safetensors")
    let labels = try Self.labels(fixture)
    let positives = try fixture.tensor(named: "num_positives").floats()
    for (image, imageLabels) in labels.enumerated() {
      XCTAssertEqual(Float(imageLabels.positiveCount), positives[image], "image \(image)")
      for (index, level) in Self.levels.enumerated() {
        let classes = try fixture.tensor(named: "class_targets.\(level)").int64s().map(Int.init)
        let boxes = try fixture.tensor(named: "box_targets.\(level)").floats()
        let classCount = imageLabels.classTargets[index].count
        let boxCount = imageLabels.boxTargets[index].count
        XCTAssertEqual(
          imageLabels.classTargets[index], Array(classes[image * classCount..<(image + 1) * classCount]),
          "level \(level) image \(image)")
        assertClose(
          imageLabels.boxTargets[index], Array(boxes[image * boxCount..<(image + 1) * boxCount]),
          tolerance: 1e-6, "level \(level) image \(image)")
      }
    }
  }

  func testForceMatchesOverrideThresholdsAndTiesGoToTheFirst() {
    let similarity: [[Float]] = [[0.5, 0.7, 0.1, 0, 0.5], [0.7, 0.7, 0.2, 0, 0], [0.1, 0.1, 0.3, 0.49, 0]]
    let matches = AnchorMatching(matchedThreshold: 0.6, unmatchedThreshold: 0.4)
      .matches(similarity: similarity, anchorCount: 5)
    // Anchor 0: box 1 (0.7). Anchor 1: a tie, box 0; also box 0's and box 1's first best anchor.
    // Anchor 2: below 0.4, negative. Anchor 3: box 2's best (forced). Anchor 4: between, ignored.
    XCTAssertEqual(matches, [.matched(1), .matched(0), .unmatched, .matched(2), .ignored])
    // A box that overlaps nothing still takes the first anchor.
    let lonely = AnchorMatching().matches(similarity: [[0, 0, 0]], anchorCount: 3)
    XCTAssertEqual(lonely, [.matched(0), .unmatched, .unmatched])
    XCTAssertEqual(AnchorMatching().matches(similarity: [], anchorCount: 2), [.unmatched, .unmatched])
  }
}
