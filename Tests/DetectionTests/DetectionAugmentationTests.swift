import EfficientNetCore
import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetTestSupport
import WeightIO
import XCTest

/// The training augmentation against effdet's `RandomFlip` + `RandomResizePad` on a real photo
/// (`Samples/chelsea.jpg`, 451×300) for five fixed draws: pad, crop, flip, both filters
/// (fixture: `Fixtures/make_augmentation_fixture.py`).
final class DetectionAugmentationTests: XCTestCase {
  struct Case: Decodable {
    var flips: Bool
    var scale: Double
    var offset_y: Double
    var offset_x: Double
    var filter: String
  }

  func testTransformEqualsEffdetForFixedDraws() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "augmentation.safetensors")
    let cases = try JSONDecoder().decode([Case].self, from: Data(fixture.metadata["cases"]!.utf8))
    XCTAssertEqual(cases.count, 5)
    let photo = try ImageDecoder.decode(
      contentsOf: RepositoryPaths.samples.appendingPathComponent("chelsea.jpg"))
    var letterbox = Letterbox(configuration: try DetectorRegistry.configuration(named: "tf_efficientdet_d0"))
    (letterbox.height, letterbox.width) = (96, 128)
    let xywh = try fixture.floatTensor(named: "boxes_xywh").scalars
    let given = (0..<xywh.count / 4).map { row in
      SIMD4<Double>(
        Double(xywh[row * 4]), Double(xywh[row * 4 + 1]), Double(xywh[row * 4 + 2]), Double(xywh[row * 4 + 3])
      )
    }
    let classes = try fixture.floatTensor(named: "classes").scalars.map { Int($0) }
    for (index, item) in cases.enumerated() {
      let draw = AugmentationDraw(
        flips: item.flips, scaleFactor: item.scale, offsetFractionY: item.offset_y,
        offsetFractionX: item.offset_x, interpolation: Interpolation(rawValue: item.filter))
      let result = DetectionAugmentation().transform(
        photo, boxes: given, classes: classes, letterbox: letterbox, draw: draw)
      let expected = try fixture.floatTensor(named: "canvas.\(index)").scalars
      XCTAssertEqual(
        result.canvas.map(Float.init), expected, "case \(index) \(item): canvas differs from effdet's")
      let expectedBoxes = try fixture.floatTensor(named: "boxes.\(index)").scalars
      XCTAssertEqual(result.boxes.count, expectedBoxes.count / 4, "case \(index): kept boxes")
      for (row, box) in result.boxes.enumerated() where row * 4 < expectedBoxes.count {
        for corner in 0..<4 {
          XCTAssertEqual(
            box[corner], expectedBoxes[row * 4 + corner], accuracy: 1e-3, "case \(index) box \(row)")
        }
      }
      XCTAssertEqual(
        result.classes, try fixture.floatTensor(named: "classes.\(index)").scalars.map { Int($0) },
        "case \(index)")
    }
  }

  func testDrawsFollowTheSettings() {
    var generator = SeededGenerator(seed: 3)
    let augmentation = DetectionAugmentation()
    let draws = (0..<2000).map { _ in augmentation.draw(using: &generator) }
    let flipped = Double(draws.filter(\.flips).count) / Double(draws.count)
    XCTAssertEqual(flipped, 0.5, accuracy: 0.05)
    XCTAssertTrue(draws.allSatisfy { (0.1...2.0).contains($0.scaleFactor) })
    XCTAssertEqual(Set(draws.compactMap(\.interpolation)), [.bilinear, .bicubic])
    var none = SeededGenerator(seed: 3)
    XCTAssertEqual(
      DetectionAugmentation.none.draw(using: &none),
      AugmentationDraw(
        flips: false, scaleFactor: 1, offsetFractionY: 0, offsetFractionX: 0, interpolation: nil))
  }
}
