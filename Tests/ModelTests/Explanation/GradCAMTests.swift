import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import XCTest

/// Grad-CAM against timm/PyTorch on the tiny models, and on real photos with the pretrained Lite0.
final class GradCAMTests: XCTestCase {
  /// Class, channel weights, coarse map and upsampled heat map equal PyTorch's autograd Grad-CAM
  /// (fixtures: Scripts/make_explanation_fixtures.py), for both layers and both activations.
  func testGradCAMMatchesPyTorchOnTinyModels() throws {
    for name in ["tiny_b0", "tiny_lite"] {
      let fixture = try ExplanationFixtures.gradCAM(name)
      let expectedClass = try XCTUnwrap(Int(try XCTUnwrap(fixture.metadata["class"])))
      let input = try Fixtures.tensor(fixture, "input").nchwToNHWC()
      for (layer, key) in [(GradCAMLayer.head, "head"), (.lastBlock, "block")] {
        let explainer = try GradCAM(model: try ExplanationFixtures.tinyModel(name), layer: layer)
        let map = try explainer.explain(input: input)
        let label = "\(name) \(key)"
        XCTAssertEqual(map.classIndex, expectedClass, label)
        let logits = try Fixtures.tensor(fixture, "logits").scalars
        XCTAssertEqual(map.score, logits[expectedClass], accuracy: 1e-4, label)
        let weights = try Fixtures.tensor(fixture, "\(key).weights").scalars
        assertClose(
          map.channelWeights, weights, tolerance: 1e-6 + 1e-4 * (weights.map(abs).max() ?? 0), label)
        let coarse = try Fixtures.tensor(fixture, "\(key).coarse")
        XCTAssertEqual([map.coarseHeight, map.coarseWidth], coarse.shape, label)
        assertClose(map.coarseMap, coarse.scalars, tolerance: 1e-4 * (coarse.scalars.max() ?? 1), label)
        XCTAssertEqual([map.height, map.width], [80, 112], label)
        // The PyTorch heat map is stored in float16.
        assertClose(
          map.heatMap, try Fixtures.tensor(fixture, "\(key).heatmap").scalars, tolerance: 1e-3, label)
      }
    }
  }

  func testExplicitClassIsExplainedAndOutOfRangeClassThrows() throws {
    let explainer = try GradCAM(model: try ExplanationFixtures.tinyModel("tiny_b0"))
    let input = try Fixtures.tensor(try ExplanationFixtures.gradCAM("tiny_b0"), "input").nchwToNHWC()
    let map = try explainer.explain(input: input, classIndex: 5)
    XCTAssertEqual(map.classIndex, 5)
    let logits = try XCTUnwrap(
      try InferenceEngine(model: try ExplanationFixtures.tinyModel("tiny_b0")).evaluate(input).logits)
    XCTAssertEqual(map.score, logits.scalars[5], accuracy: 1e-4)
    XCTAssertThrowsError(try explainer.explain(input: input, classIndex: 10)) { error in
      XCTAssertTrue("\(error)".contains("0..<10"), "\(error)")
    }
    XCTAssertThrowsError(try explainer.explain(input: Tensor(zeros: [2, 32, 32, 3])))
  }

  // MARK: Pretrained Lite0 on real photos

  private let photos = Fixtures.directory.appendingPathComponent("photos")

  /// Heat mass of `map` inside columns `columns` and rows `rows` of the original image, over all heat.
  private func heatFraction(_ map: ImageHeatMap, columns: Range<Int>, rows: Range<Int>) -> Float {
    var inside: Float = 0
    var total: Float = 0
    for y in 0..<map.height {
      for x in 0..<map.width {
        let value = map.values[y * map.width + x]
        total += value
        if columns.contains(x) && rows.contains(y) { inside += value }
      }
    }
    return total > 0 ? inside / total : 0
  }

  /// The center portion `width × height` of an 8-bit RGB image, scaled by nearest neighbour by `factor`.
  private func portrait(_ image: DecodedImage, width: Int, height: Int, factor: Int) -> DecodedImage {
    let source = image.convertedToRGB8()
    let (left, top) = ((source.width - width) / 2, (source.height - height) / 2)
    var samples = [UInt8](repeating: 0, count: width * factor * height * factor * 3)
    for y in 0..<(height * factor) {
      for x in 0..<(width * factor) {
        let from = ((top + y / factor) * source.width + left + x / factor) * 3
        for channel in 0..<3 {
          samples[(y * width * factor + x) * 3 + channel] = source.samples8[from + channel]
        }
      }
    }
    return DecodedImage(width: width * factor, height: height * factor, channels: 3, samples8: samples)
  }

  /// A 600 × 600 picture: the middle of the cat's face on the left half, the espresso cup on the right.
  /// Explaining "tabby" (281) puts most of the heat on the left (0.72 measured), explaining "espresso"
  /// (967) on the right (0.96).
  func testHeatFollowsTheExplainedClassInACompositeOfTwoPhotos() throws {
    let cat = portrait(
      try ImageDecoder.decode(contentsOf: photos.appendingPathComponent("chelsea.png")), width: 150,
      height: 300,
      factor: 2)
    let coffee = portrait(
      try ImageDecoder.decode(contentsOf: photos.appendingPathComponent("coffee.png")), width: 300,
      height: 400,
      factor: 1)
    var samples = [UInt8](repeating: 0, count: 600 * 600 * 3)
    for y in 0..<600 {
      for x in 0..<300 {
        for channel in 0..<3 {
          samples[(y * 600 + x) * 3 + channel] = cat.samples8[(y * 300 + x) * 3 + channel]
          let coffeeRow = min(y * 400 / 600, 399)
          samples[(y * 600 + 300 + x) * 3 + channel] = coffee.samples8[(coffeeRow * 300 + x) * 3 + channel]
        }
      }
    }
    let composite = DecodedImage(width: 600, height: 600, channels: 3, samples8: samples)
    let explainer = try GradCAM(model: try pretrainedLite0())
    func leftShare(_ classIndex: Int) throws -> Float {
      let map = try explainer.explain(composite, classIndex: classIndex)
      let projected = map.projected(imageWidth: 600, imageHeight: 600, preprocessing: explainer.preprocessing)
      // The crop is symmetric (columns 37..<562), so each half covers half of it.
      XCTAssertEqual(projected.coveredColumns, 37..<562)
      return heatFraction(projected, columns: 0..<300, rows: 0..<600)
    }
    let tabby = try leftShare(281)
    let espresso = try leftShare(967)
    XCTAssertGreaterThan(tabby, 0.65, "tabby heat on the cat's half")
    XCTAssertLessThan(espresso, 0.15, "espresso heat on the cat's half")
  }

  /// On chelsea.png (451 × 300) the crop the model sees (x 94..<357, y 19..<281) is all cat; the tabby
  /// heat sits on its face: the box around eyes, nose and mouth (x 120..<370, y 60..<300, read off the
  /// photo) holds 0.92 of the heat for 0.76 of the crop's area.
  func testTabbyHeatSitsOnTheCatsFace() throws {
    let image = try ImageDecoder.decode(contentsOf: photos.appendingPathComponent("chelsea.png"))
    let explainer = try GradCAM(model: try pretrainedLite0())
    let map = try explainer.explain(image, classIndex: 281)
    XCTAssertEqual(map.classIndex, 281)
    XCTAssertGreaterThan(map.probability, 0.3)
    let projected = map.projected(imageWidth: 451, imageHeight: 300, preprocessing: explainer.preprocessing)
    let face = heatFraction(projected, columns: 120..<370, rows: 60..<300)
    let covered = projected.coveredColumns.count * projected.coveredRows.count
    let faceShare =
      Float(
        projected.coveredColumns.clamped(to: 120..<370).count
          * projected.coveredRows.clamped(to: 60..<300).count)
      / Float(covered)
    XCTAssertEqual(projected.coveredColumns, 94..<357)
    XCTAssertEqual(projected.coveredRows, 19..<281)
    XCTAssertGreaterThan(face, 0.88, "heat fraction in the face box")
    XCTAssertGreaterThan(face, faceShare + 0.1, "the face box covers \(faceShare) of the crop")
  }

  private func pretrainedLite0() throws -> EfficientNet {
    try EfficientNet(
      configuration: try ModelRegistry.configuration(named: "efficientnet_lite0"),
      contentsOf: try PretrainedModels.lite0WeightsURL())
  }
}
