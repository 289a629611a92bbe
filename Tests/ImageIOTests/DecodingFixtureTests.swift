import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// Decoded pixels equal Pillow's, fixture by fixture (see `Fixtures/make_decoding_fixtures.py`).
///
/// JPEG references come from Pillow 13's bundled libjpeg-turbo 3.2; we link the system's libjpeg-turbo
/// 2.1.5. Both use the accurate integer IDCT and fancy upsampling, and the pixels agree exactly, so no
/// tolerance is needed.
final class DecodingFixtureTests: XCTestCase {
  /// Decodes each fixture and compares with its native reference (orientation applied) and with Pillow's
  /// `Image.open(path).convert("RGB")` (no orientation applied).
  private func checkFixtures(_ prefix: String, file: StaticString = #filePath, line: UInt = #line) throws {
    for fixture in try DecodingFixtures.named(prefix, file: file, line: line) {
      let url = DecodingFixtures.url(fixture.file)
      let image = try ImageDecoder.decode(contentsOf: url)
      let label = "\(fixture.name) (\(fixture.note))"
      XCTAssertEqual(image.width, fixture.width, label, file: file, line: line)
      XCTAssertEqual(image.height, fixture.height, label, file: file, line: line)
      XCTAssertEqual(image.channels, fixture.channels, label, file: file, line: line)
      XCTAssertEqual(image.bitDepth, fixture.bitDepth, label, file: file, line: line)
      if fixture.bitDepth == 8 {
        let expected = try DecodingFixtures.samples8(fixture.native)
        XCTAssertEqual(image.samples8.count, expected.count, label, file: file, line: line)
        XCTAssertTrue(image.samples16.isEmpty, label, file: file, line: line)
        if image.samples8.count == expected.count {
          XCTAssertEqual(
            maximumDifference(image.samples8, expected), 0, label, file: file, line: line)
        }
      } else {
        let expected = try DecodingFixtures.samples16(fixture.native)
        XCTAssertEqual(image.samples16.count, expected.count, label, file: file, line: line)
        XCTAssertTrue(image.samples8.isEmpty, label, file: file, line: line)
        if image.samples16.count == expected.count {
          XCTAssertEqual(
            maximumDifference(image.samples16, expected), 0, label, file: file, line: line)
        }
      }

      let stored = try ImageDecoder.decode(contentsOf: url, applyOrientation: false).convertedToRGB8()
      let pillowRGB = try DecodingFixtures.samples8(fixture.rgb8)
      XCTAssertEqual(stored.channels, 3, label, file: file, line: line)
      XCTAssertEqual(stored.samples8.count, pillowRGB.count, label, file: file, line: line)
      if stored.samples8.count == pillowRGB.count {
        XCTAssertEqual(
          maximumDifference(stored.samples8, pillowRGB), 0,
          "\(label): convert(\"RGB\") parity", file: file,
          line: line)
      }
    }
  }

  func testBaselineJPEGWithEachChromaSubsamplingMatchesPillow() throws {
    try checkFixtures("jpeg_baseline_")
  }

  func testProgressiveJPEGMatchesPillow() throws {
    try checkFixtures("jpeg_progressive_")
  }

  func testGrayscaleJPEGDecodesToOneChannelMatchingPillow() throws {
    try checkFixtures("jpeg_gray")
    XCTAssertEqual(try ImageDecoder.decode(contentsOf: DecodingFixtures.url("jpeg_gray.jpg")).channels, 1)
  }

  func testJPEGWithRestartMarkersMatchesPillow() throws {
    let data = [UInt8](try DecodingFixtures.data("jpeg_restart_markers.jpg"))
    let restartMarkers = zip(data, data.dropFirst()).filter { $0 == 0xFF && (0xD0...0xD7).contains($1) }
    XCTAssertGreaterThan(restartMarkers.count, 3, "the fixture should contain RSTn markers")
    try checkFixtures("jpeg_restart_markers")
  }

  func testAdobeCMYKJPEGConvertsToRGBLikePillow() throws {
    try checkFixtures("jpeg_cmyk_adobe")
  }

  func testRGBColorSpaceJPEGMatchesPillow() throws {
    try checkFixtures("jpeg_rgb_colorspace")
  }

  func testEightBitGrayAndGrayAlphaPNGMatchPillow() throws {
    try checkFixtures("png_gray8")
    try checkFixtures("png_gray_alpha8")
  }

  func testLowBitDepthGrayPNGIsScaledToEightBits() throws {
    try checkFixtures("png_gray1")
    try checkFixtures("png_gray4")
  }

  func testEightBitRGBAndRGBAPNGMatchPillow() throws {
    try checkFixtures("png_rgb8")
    try checkFixtures("png_rgba8")
  }

  func testPalettePNGExpandsToRGBOrRGBAWithTransparency() throws {
    try checkFixtures("png_palette")
    let transparent = try ImageDecoder.decode(
      contentsOf: DecodingFixtures.url("png_palette8_transparency.png"))
    XCTAssertEqual(transparent.channels, 4)
    let opaque = try ImageDecoder.decode(contentsOf: DecodingFixtures.url("png_palette8.png"))
    XCTAssertEqual(opaque.channels, 3)
  }

  func testSixteenBitPNGKeepsSixteenBitsAndReducesToEightLikePillow() throws {
    try checkFixtures("png_gray16")
    try checkFixtures("png_rgb16")
    try checkFixtures("png_rgba16")
    try checkFixtures("png_gray_alpha16")
  }

  func testInterlacedPNGMatchesPillow() throws {
    let interlaced = try DecodingFixtures.all().filter { $0.name.hasSuffix("_interlaced") }
    XCTAssertEqual(interlaced.count, 3)
    for fixture in interlaced { try checkFixtures(fixture.name) }
  }

  func testRGB8PixelFormatEqualsNativeDecodeConvertedToRGB8() throws {
    for fixture in try DecodingFixtures.all() {
      let url = DecodingFixtures.url(fixture.file)
      let direct = try ImageDecoder.decode(contentsOf: url, pixelFormat: .rgb8)
      XCTAssertEqual([direct.channels, direct.bitDepth], [3, 8], fixture.name)
      XCTAssertEqual(direct, try ImageDecoder.decode(contentsOf: url).convertedToRGB8(), fixture.name)
    }
  }

  func testConcurrentDecodesGiveTheSameImagesAsSerialDecodes() throws {
    let fixtures = try DecodingFixtures.all()
    let inputs = try fixtures.map { try DecodingFixtures.data($0.file) }
    let serial = try inputs.map { try ImageDecoder.decode(data: $0, source: "serial") }
    let results = UnsafeMutableBufferPointer<DecodedImage?>.allocate(capacity: inputs.count * 4)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    DispatchQueue.concurrentPerform(iterations: results.count) { index in
      results[index] = try? ImageDecoder.decode(data: inputs[index % inputs.count], source: "parallel")
    }
    for index in 0..<results.count {
      XCTAssertEqual(results[index], serial[index % inputs.count], fixtures[index % inputs.count].name)
    }
  }

  func testDecodingFromDataEqualsDecodingFromFile() throws {
    let url = DecodingFixtures.url("jpeg_baseline_420.jpg")
    let fromFile = try ImageDecoder.decode(contentsOf: url)
    let fromData = try ImageDecoder.decode(data: try Data(contentsOf: url), source: "memory.jpg")
    XCTAssertEqual(fromFile, fromData)
  }

  func testFormatIsSniffedFromMagicBytesNotTheFileName() throws {
    let data = try DecodingFixtures.data("png_rgb8.png")
    XCTAssertEqual(ImageDecoder.format(of: data), .png)
    XCTAssertEqual(ImageDecoder.format(of: try DecodingFixtures.data("jpeg_gray.jpg")), .jpeg)
    let image = try ImageDecoder.decode(data: data, source: "misnamed.jpg")
    XCTAssertEqual(image.samples8, try DecodingFixtures.samples8("png_rgb8.native.bin"))
  }

  func testLibraryVersionsAreReported() {
    XCTAssertTrue(ImageDecoder.libraryVersions.contains("libpng 1."), ImageDecoder.libraryVersions)
  }
}
