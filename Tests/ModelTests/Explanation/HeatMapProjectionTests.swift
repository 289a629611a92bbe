import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// Upsampling, mapping back through resize and center crop, and the colour overlay.
final class HeatMapProjectionTests: XCTestCase {
  /// A 4 × 4 heat map that rises linearly from 0 at column 0 to 1 at column 3.
  private func rampMap(size: Int = 4) -> ClassActivationMap {
    let heat = (0..<(size * size)).map { Float($0 % size) / Float(size - 1) }
    return ClassActivationMap(
      classIndex: 0, score: 0, probability: 1, layer: .head, channelWeights: [], coarseMap: heat,
      coarseHeight: size, coarseWidth: size, heatMap: heat, height: size, width: size)
  }

  func testBilinearUpsamplingMatchesHalfPixelCenters() {
    // [0, 1] to 4 samples: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped at the last sample).
    let row = HeatMapResampling.bilinear([0, 1], height: 1, width: 2, toHeight: 1, toWidth: 4)
    assertClose(row, [0, 0.25, 0.75, 1], tolerance: 1e-6, "row")
    // A 2 × 2 map to 3 × 3: the center is the mean of the four values.
    let square = HeatMapResampling.bilinear([0, 1, 2, 3], height: 2, width: 2, toHeight: 3, toWidth: 3)
    XCTAssertEqual(square[4], 1.5, accuracy: 1e-6)
    XCTAssertEqual(square[0], 0, accuracy: 1e-6)
    XCTAssertEqual(square[8], 3, accuracy: 1e-6)
  }

  func testNormalizationStretchesToTheUnitInterval() {
    assertClose(HeatMapResampling.normalized([2, 4, 3]), [0, 1, 0.5], tolerance: 1e-7, "stretch")
    XCTAssertEqual(HeatMapResampling.normalized([5, 5]), [0, 0])
  }

  /// Resizing an 8 × 4 image to shorter side 4 changes nothing; the crop keeps columns 2..<6.
  func testProjectionUndoesTheCenterCropAtScaleOne() {
    let preprocessing = PreprocessingConfiguration(resolution: 4, cropFraction: 1)
    let projected = rampMap().projected(imageWidth: 8, imageHeight: 4, preprocessing: preprocessing)
    XCTAssertEqual(projected.coveredColumns, 2..<6)
    XCTAssertEqual(projected.coveredRows, 0..<4)
    for y in 0..<4 {
      let row = Array(projected.values[(y * 8)..<(y * 8 + 8)])
      assertClose(row, [0, 0, 0, 1.0 / 3, 2.0 / 3, 1, 0, 0], tolerance: 1e-6, "row \(y)")
    }
  }

  /// A 16 × 8 image is halved to 8 × 4 first: original column u lands at crop coordinate
  /// (u + 0.5) / 2 − 0.5 − 2, and only columns 4..<12 are inside the crop.
  func testProjectionUndoesTheResize() {
    let preprocessing = PreprocessingConfiguration(resolution: 4, cropFraction: 1)
    let projected = rampMap().projected(imageWidth: 16, imageHeight: 8, preprocessing: preprocessing)
    XCTAssertEqual(projected.coveredColumns, 4..<12)
    XCTAssertEqual(projected.coveredRows, 0..<8)
    for x in 0..<16 {
      let coordinate = min(max((Float(x) + 0.5) / 2 - 0.5 - 2, 0), 3)
      let expected: Float = (4..<12).contains(x) ? coordinate / 3 : 0
      XCTAssertEqual(projected.values[3 * 16 + x], expected, accuracy: 1e-6, "column \(x)")
    }
  }

  /// A crop larger than the resized image (crop fraction above 1) pads; the whole image is covered.
  func testProjectionUndoesCropPadding() {
    // Resolution 6 at crop fraction 1.5 resizes to 4: one zero column of padding on each side.
    let preprocessing = PreprocessingConfiguration(resolution: 6, cropFraction: 1.5)
    let projected = rampMap(size: 6).projected(imageWidth: 4, imageHeight: 4, preprocessing: preprocessing)
    XCTAssertEqual(projected.coveredColumns, 0..<4)
    assertClose(Array(projected.values[0..<4]), [0.2, 0.4, 0.6, 0.8], tolerance: 1e-6, "row 0")
  }

  func testColourRampRunsFromDarkBlueThroughYellowToDarkRed() {
    XCTAssertEqual(HeatMapRenderer.colour(for: 0), SIMD3(0, 0, 0.5))
    XCTAssertEqual(HeatMapRenderer.colour(for: 0.625), SIMD3(1, 1, 0))
    XCTAssertEqual(HeatMapRenderer.colour(for: 1), SIMD3(0.5, 0, 0))
    XCTAssertEqual(HeatMapRenderer.colour(for: 0.25), SIMD3(0, 0.5, 1))
    XCTAssertEqual(HeatMapRenderer.colour(for: 7), SIMD3(0.5, 0, 0))
    XCTAssertEqual(HeatMapRenderer.colour(for: .nan), SIMD3(0, 0, 0.5))
  }

  func testOverlayBlendsInsideTheCropAndDarkensOutside() {
    let heat = ImageHeatMap(
      width: 2, height: 1, values: [1, 0], coveredColumns: 0..<1, coveredRows: 0..<1)
    let image = DecodedImage(width: 2, height: 1, channels: 1, samples8: [100, 200])
    let overlay = HeatMapRenderer.overlay(heat, on: image, alpha: 0.5)
    XCTAssertEqual(overlay.channels, 3)
    // Inside: half gray 100, half dark red (127.5, 0, 0); outside: gray 200 at half brightness.
    XCTAssertEqual(overlay.samples8, [114, 50, 50, 100, 100, 100])
  }
}
