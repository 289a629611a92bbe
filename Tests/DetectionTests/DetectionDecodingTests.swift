import EfficientNetCore
import EfficientNetDetection
import EfficientNetTestSupport
import WeightIO
import XCTest

/// Post-processing against effdet's `DetBenchPredict` on the parity fixture: the same detections
/// (class, IoU > 0.99, score within 1e-4), ties at the last place allowed.
final class DetectionDecodingTests: XCTestCase {
  func testDetectionsMatchEffdetsBench() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "detector-parity.safetensors")
    for (name, height, width) in DetectorParityTests.cases {
      let detector = try DetectorParityTests.detector(name, height: height, width: width)
      let output = try DetectorEngine(detector).evaluate(
        DetectorParityTests.input(name, height: height, width: width).nchwToNHWC())
      let anchors = AnchorGrid(layout: detector.layout, height: height, width: width)
      let ours = DetectionDecoding().detections(
        output, anchors: anchors, classCount: DetectorParityTests.classCount)
      let expected = try fixture.floatTensor(named: "\(name).detections").scalars
      for image in 0..<DetectorParityTests.batch {
        let rows = (0..<100).map { Array(expected[(image * 100 + $0) * 6..<(image * 100 + $0 + 1) * 6]) }
        let theirs = rows.filter { $0[4] > 0 }
        XCTAssertEqual(ours[image].count, theirs.count, "\(name) image \(image)")
        let lastScore = theirs.last?[4] ?? 0
        var unmatched = 0
        for detection in ours[image] {
          let matched = theirs.contains { row in
            Int(row[5]) == detection.classIndex && abs(row[4] - detection.score) <= 1e-4
              && BoxCoding.intersectionOverUnion(BoxCorners(row[0], row[1], row[2], row[3]), detection.box)
                > 0.99
          }
          if !matched {
            unmatched += 1
            XCTAssertEqual(
              detection.score, lastScore, accuracy: 1e-4, "\(name) image \(image): \(detection) has no twin")
          }
        }
        XCTAssertLessThanOrEqual(unmatched, 2, "\(name) image \(image)")
      }
    }
  }

  func testAnchorsFollowEffdetsConvention() throws {
    let layout = try DetectorLayout(DetectorRegistry.configuration(named: "d0"))
    let anchors = AnchorGrid(layout: layout, height: 512, width: 512)
    XCTAssertEqual(anchors.boxes.count, 49_104)
    // The first anchor: P3 (stride 8), centre (4, 4), scale 1, ratio (1, 1), size 4·8 = 32.
    XCTAssertEqual(anchors.boxes[0], BoxCorners(-12, -12, 20, 20))
    // The second: ratio (1.4, 0.7): 44.8 wide, 22.4 tall.
    assertClose(
      [anchors.boxes[1][0], anchors.boxes[1][1], anchors.boxes[1][2], anchors.boxes[1][3]],
      [-7.2, -18.4, 15.2, 26.4], tolerance: 1e-5)
    // The tenth: the next cell to the right (x centre 12).
    XCTAssertEqual(anchors.boxes[9], BoxCorners(-12, -4, 20, 28))
  }

  func testHardSuppressionKeepsTheBestOfEachClusterPerClass() {
    let boxes = [
      BoxCorners(0, 0, 10, 10), BoxCorners(1, 1, 11, 11), BoxCorners(0, 0, 10, 10),
      BoxCorners(20, 20, 30, 30),
    ]
    let kept = NonMaximumSuppression.select(
      boxes: boxes, scores: [0.9, 0.8, 0.7, 0.6], classes: [0, 0, 1, 0], method: .standard, limit: 100)
    // Box 1 overlaps box 0 (IoU 81/119 = 0.68) in the same class; box 2 is another class.
    XCTAssertEqual(kept.map(\.index), [0, 2, 3])
    let soft = NonMaximumSuppression.select(
      boxes: boxes, scores: [0.9, 0.8, 0.7, 0.6], classes: [0, 0, 1, 0], method: .soft, limit: 100)
    let iou = Float(81) / 119
    XCTAssertEqual(soft.map(\.index), [0, 2, 3, 1])
    XCTAssertEqual(soft[3].score, 0.8 * Foundation.exp(-iou * iou / 0.5), accuracy: 1e-6)
  }
}
