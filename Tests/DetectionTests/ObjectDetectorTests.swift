import EfficientNetCore
import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetTestSupport
import WeightIO
import XCTest

/// The image path against effdet on a real photo (`Samples/chelsea.jpg`, 451×300): the letterbox
/// canvas byte for byte, and the detections in the photo's pixels (`DetBenchPredict` with image
/// information) for Lite0 at 128×128 with the parity fixture's weights.
final class ObjectDetectorTests: XCTestCase {
  func testLetterboxAndDetectionsMatchEffdetOnAPhoto() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "detector-parity.safetensors")
    let detector = try DetectorParityTests.detector("tf_efficientdet_lite0", height: 128, width: 128)
    let photo = try ImageDecoder.decode(
      contentsOf: RepositoryPaths.samples.appendingPathComponent("chelsea.jpg"))
    let letterbox = Letterbox(configuration: detector.configuration)
    XCTAssertEqual(letterbox.fillColor, [128, 128, 128])
    let canvas = letterbox.canvas(photo)
    let expectedCanvas = try fixture.floatTensor(named: "letterbox.canvas")
    XCTAssertEqual(expectedCanvas.shape, [128, 128, 3])
    XCTAssertEqual(
      canvas.map(Float.init), expectedCanvas.scalars, "the letterboxed canvas differs from effdet's")
    XCTAssertEqual(letterbox.scaling(imageWidth: 451, imageHeight: 300).scale, 128.0 / 451, accuracy: 1e-15)

    let objects = try ObjectDetector(model: detector).detect(photo)
    let expected = try fixture.floatTensor(named: "letterbox.detections").scalars
    let rows = (0..<100).map { Array(expected[$0 * 6..<($0 + 1) * 6]) }.filter { $0[4] > 0 }
    XCTAssertEqual(objects.count, rows.count)
    for (object, row) in zip(objects, rows) {
      XCTAssertEqual(object.classIndex, Int(row[5]))
      XCTAssertEqual(object.score, row[4], accuracy: 1e-4)
      let theirs = BoxCorners(row[0], row[1], row[2], row[3])
      // Boxes clipped flat (zero area) have no IoU: their corners must agree instead.
      let agrees =
        BoxCoding.intersectionOverUnion(object.box, theirs) > 0.99
        || (0..<4).allSatisfy { abs(object.box[$0] - theirs[$0]) < 1e-2 }
      XCTAssertTrue(agrees, "\(object) against \(row)")
    }
    // Clipped to the photo.
    XCTAssertTrue(objects.allSatisfy { $0.box.min() >= 0 && $0.box[2] <= 451.01 && $0.box[3] <= 300.01 })
  }

  func testClassNamesDefaultToCOCOForNinetyClasses() throws {
    XCTAssertEqual(COCOLabels.names.count, 90)
    XCTAssertEqual(COCOLabels.names[0], "person")
    XCTAssertEqual(COCOLabels.names[16], "cat")
    XCTAssertEqual(COCOLabels.names[11], "N/A")
    XCTAssertEqual(COCOLabels.names.filter { $0 != "N/A" }.count, 80)
  }
}
