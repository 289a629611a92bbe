import EfficientNetDetection
import EfficientNetTestSupport
import Foundation
import XCTest

/// COCO box evaluation against pycocotools 2.0.11's `COCOeval(iouType='bbox')`: for every fixture pair
/// that `Fixtures/make_coco_fixtures.py` wrote, the twelve `stats` numbers and each category's AP equal
/// pycocotools' within 1e-6 (in practice to the last bit or two); plus small cases checkable by hand.
final class COCOEvaluationTests: XCTestCase {
  /// `coco-expected.json`.
  struct Expected: Decodable {
    struct Case: Decodable {
      let name: String
      let ground_truth: String
      let detections: String
      let stats: [Double]
      let category_ap: [String: Double]
    }
    let iou_thresholds: [Double]
    let recall_thresholds: [Double]
    let cases: [Case]
  }

  static func expected() throws -> Expected {
    let url = RepositoryPaths.fixtures("DetectionTests", "coco-expected.json")
    return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
  }

  /// The thresholds are NumPy's `linspace` values, bit for bit.
  func testThresholdsAreNumPysLinspace() throws {
    let expected = try Self.expected()
    let parameters = COCOEvaluationParameters()
    XCTAssertEqual(parameters.intersectionOverUnionThresholds, expected.iou_thresholds)
    XCTAssertEqual(parameters.recallThresholds, expected.recall_thresholds)
  }

  /// Each fixture's twelve stats and per-category APs are pycocotools' within 1e-6.
  func testFixturesMatchPycocotools() throws {
    let expected = try Self.expected()
    XCTAssertEqual(expected.cases.count, 4)
    var largestDifference = 0.0
    for fixture in expected.cases {
      let groundTruth = try COCOAnnotationReader().read(
        RepositoryPaths.fixtures("DetectionTests", fixture.ground_truth))
      let detections = try COCOResultsReader().read(
        RepositoryPaths.fixtures("DetectionTests", fixture.detections))
      let evaluation = COCOEvaluation(groundTruth: groundTruth, detections: detections)
      let statistics = evaluation.statistics
      XCTAssertEqual(statistics.count, 12)
      for (index, (ours, theirs)) in zip(statistics, fixture.stats).enumerated() {
        XCTAssertEqual(ours, theirs, accuracy: 1e-6, "\(fixture.name) stats[\(index)]")
        largestDifference = max(largestDifference, abs(ours - theirs))
      }
      for result in evaluation.categoryResults {
        let theirs = try XCTUnwrap(fixture.category_ap[String(result.category.identifier)], fixture.name)
        XCTAssertEqual(
          result.averagePrecision, theirs, accuracy: 1e-6, "\(fixture.name) category \(result.category)")
      }
      XCTAssertEqual(evaluation.categoryResults.count, fixture.category_ap.count, fixture.name)
    }
    print("largest difference from pycocotools: \(largestDifference)")
  }

  /// A dataset of one 640x640 image and `objects` (categories 1 and 2).
  static func dataset(_ objects: [COCOAnnotation]) -> COCODataset {
    COCODataset(
      images: [COCOImage(identifier: 1, fileName: "a.jpg", width: 640, height: 640)], annotations: objects,
      categories: [COCOCategory(identifier: 1, name: "one"), COCOCategory(identifier: 2, name: "two")])
  }

  static func object(_ identifier: Int, _ box: SIMD4<Double>, crowd: Bool = false, ignored: Bool = false)
    -> COCOAnnotation
  {
    COCOAnnotation(
      identifier: identifier, imageIdentifier: 1, categoryIdentifier: 1, box: box, area: box[2] * box[3],
      isCrowd: crowd, isIgnored: ignored)
  }

  static func detection(_ box: SIMD4<Double>, _ score: Double) -> COCODetectionRecord {
    COCODetectionRecord(imageIdentifier: 1, categoryIdentifier: 1, box: box, score: score)
  }

  /// Asserts `values` equal `expected` within 1e-12.
  static func assertClose(
    _ values: [Double], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(values.count, expected.count, file: file, line: line)
    for (value, target) in zip(values, expected) {
      XCTAssertEqual(value, target, accuracy: 1e-12, "\(values)", file: file, line: line)
    }
  }

  /// One medium object found exactly: AP and AR 1 wherever it counts, -1 for the empty size ranges.
  /// (AP is 1 - 2⁻⁵² or so, as pycocotools': precision is tp / (tp + fp + np.spacing(1)).)
  func testOnePerfectDetectionScoresOne() {
    let evaluation = COCOEvaluation(
      groundTruth: Self.dataset([Self.object(1, [10, 10, 50, 50])]),
      detections: [Self.detection([10, 10, 50, 50], 0.7)])
    Self.assertClose(evaluation.statistics, [1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1])
    Self.assertClose(evaluation.categoryResults.map(\.averagePrecision), [1, -1])
  }

  /// One detection beside the object: AP and AR 0.
  func testOneFalsePositiveScoresZero() {
    let evaluation = COCOEvaluation(
      groundTruth: Self.dataset([Self.object(1, [10, 10, 50, 50])]),
      detections: [Self.detection([200, 200, 50, 50], 0.7)])
    XCTAssertEqual(evaluation.statistics, [0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1])
  }

  /// Detections inside a crowd region count neither way (IoU with a crowd is intersection over the
  /// detection's area); without the crowd flag the same boxes are false positives ranked first.
  func testDetectionsInsideACrowdAreIgnored() {
    let detections = [
      Self.detection([0, 0, 40, 40], 0.5), Self.detection([110, 110, 20, 20], 0.9),
      Self.detection([150, 150, 30, 30], 0.9), Self.detection([200, 120, 25, 25], 0.8),
    ]
    let crowd = COCOEvaluation(
      groundTruth: Self.dataset([
        Self.object(1, [0, 0, 40, 40]), Self.object(2, [100, 100, 200, 200], crowd: true),
      ]),
      detections: detections)
    XCTAssertEqual(crowd.statistics[0], 1, accuracy: 1e-12)
    let regular = COCOEvaluation(
      groundTruth: Self.dataset([Self.object(1, [0, 0, 40, 40]), Self.object(2, [100, 100, 200, 200])]),
      detections: detections)
    // Both objects: the big one never found (IoU < 0.5), the small one at precision 1/4 up to recall 1/2.
    XCTAssertEqual(regular.statistics[1], 51 * 0.25 / 101, accuracy: 1e-12)
  }

  /// pycocotools lets `iscrowd` alone decide what is ignored; `honorsIgnoreFlag` adds the `ignore` flag.
  func testIgnoreFlagCountsOnlyWhenAskedFor() {
    let groundTruth = Self.dataset([Self.object(1, [10, 10, 50, 50], ignored: true)])
    let detections = [Self.detection([300, 300, 50, 50], 0.7)]
    XCTAssertEqual(COCOEvaluation(groundTruth: groundTruth, detections: detections).statistics[0], 0)
    var parameters = COCOEvaluationParameters()
    parameters.honorsIgnoreFlag = true
    let honoring = COCOEvaluation(groundTruth: groundTruth, detections: detections, parameters: parameters)
    XCTAssertEqual(honoring.statistics[0], -1)
  }

  /// Detector output becomes records by the dataset's category order, corners to `[x, y, w, h]`.
  func testRecordsFromDetections() {
    let dataset = Self.dataset([])
    let records = COCODetectionRecord.records(
      [
        Detection(box: BoxCorners(1, 2, 11, 22), score: 0.5, classIndex: 2),
        Detection(box: BoxCorners(0, 0, 1, 1), score: 0.5, classIndex: 3),
      ], imageIdentifier: 1, dataset: dataset)
    XCTAssertEqual(
      records,
      [COCODetectionRecord(imageIdentifier: 1, categoryIdentifier: 2, box: [1, 2, 10, 20], score: 0.5)])
  }

  /// The printout uses pycocotools' wording and layout.
  func testSummaryWording() {
    let evaluation = COCOEvaluation(
      groundTruth: Self.dataset([Self.object(1, [10, 10, 50, 50])]),
      detections: [Self.detection([10, 10, 50, 50], 0.7)])
    let lines = evaluation.summary.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 12)
    XCTAssertEqual(
      lines[0], " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000")
    XCTAssertEqual(
      lines[1], " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000")
    XCTAssertEqual(
      lines[3], " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000")
    XCTAssertEqual(
      lines[6], " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000")
    XCTAssertTrue(evaluation.categoryTable.contains("one"))
  }
}
