import EfficientNetImageIO
import Foundation
import XCTest

/// 16-bit grayscale PNGs keep all 16 bits (where `convertedToRGB8` would clamp them like Pillow), and the
/// top-level reader dispatches between DICOM and PNG / JPEG.
final class GrayscalePrecisionTests: XCTestCase {
  private let decoding = DecodingFixtures.directory

  /// Little-endian uint16 reference samples written by `make_decoding_fixtures.py` (from Pillow).
  private func reference16(_ file: String) throws -> [UInt16] { try DecodingFixtures.samples16(file) }

  func testSixteenBitGrayPNGKeepsEverySample() throws {
    for name in ["png_gray16", "png_gray16_interlaced"] {
      let samples = try MedicalImageReader.grayscaleSamples(
        contentsOf: decoding.appendingPathComponent("\(name).png"))
      let expected = try reference16("\(name).native.bin")
      XCTAssertEqual(samples.bitDepth, 16)
      XCTAssertEqual(samples.width * samples.height, expected.count)
      XCTAssertEqual(samples.samples, expected, name)
      XCTAssertEqual(samples.floatSamples, expected.map { Float($0) })
      XCTAssertGreaterThan(expected.max() ?? 0, 255, "the fixture should use more than 8 bits")
    }
  }

  func testEightBitGrayIsPromotedWithValuesUnchanged() throws {
    for name in ["png_gray8", "jpeg_gray"] {
      let file = name == "jpeg_gray" ? "\(name).jpg" : "\(name).png"
      let samples = try MedicalImageReader.grayscaleSamples(contentsOf: decoding.appendingPathComponent(file))
      let expected = [UInt8](try Data(contentsOf: decoding.appendingPathComponent("\(name).native.bin")))
      XCTAssertEqual(samples.bitDepth, 8)
      XCTAssertEqual(samples.samples, expected.map { UInt16($0) }, name)
    }
  }

  func testGrayPlusAlphaDropsAlphaAndColourIsRefused() throws {
    let alpha = try MedicalImageReader.grayscaleSamples(
      contentsOf: decoding.appendingPathComponent("png_gray_alpha16.png"))
    let interleaved = try reference16("png_gray_alpha16.native.bin")
    XCTAssertEqual(alpha.samples, stride(from: 0, to: interleaved.count, by: 2).map { interleaved[$0] })
    let colour = decoding.appendingPathComponent("jpeg_baseline_444.jpg")
    XCTAssertThrowsError(try MedicalImageReader.grayscaleSamples(contentsOf: colour)) { error in
      XCTAssertTrue("\(error)".hasPrefix(colour.path + ": "), "\(error)")
    }
  }

  /// A 16-bit PNG without a window spreads its own minimum–maximum over 0...255.
  func testSixteenBitPNGIsWindowedOverItsRange() throws {
    let url = decoding.appendingPathComponent("png_gray16.png")
    let expected = try reference16("png_gray16.native.bin")
    let low = Double(expected.min() ?? 0)
    let high = Double(expected.max() ?? 0)
    let source = try MedicalImageReader.sourceImage(contentsOf: url)
    XCTAssertEqual(source.channels, 1)
    let reference = expected.map { value -> UInt8 in
      let unit = (Double(value) - (low + high) / 2) / (high - low) + 0.5
      return UInt8((unit * 255 + 0.5).rounded(.down))
    }
    XCTAssertEqual(source.pixels, reference)
    XCTAssertEqual(source.pixels.min(), 0)
    XCTAssertEqual(source.pixels.max(), 255)
  }

  /// 8-bit files come out unchanged, so the medical path agrees with the ordinary one on photos.
  func testEightBitFilesPassThroughUnchanged() throws {
    for file in ["jpeg_gray.jpg", "png_gray8.png", "jpeg_baseline_444.jpg"] {
      let url = decoding.appendingPathComponent(file)
      let source = try MedicalImageReader.sourceImage(contentsOf: url)
      let decoded = try ImageDecoder.decode(contentsOf: url)
      XCTAssertEqual(source.pixels, decoded.samples8, file)
      XCTAssertEqual(source.channels, decoded.channels, file)
    }
  }

  func testReaderDispatchesOnMagicBytesAndExtension() throws {
    let dicom = MedicalFixtures.url("MR_small.dcm")
    let data = try Data(contentsOf: dicom)
    XCTAssertTrue(MedicalImageReader.isDICOM(data))
    XCTAssertTrue(MedicalImageReader.isMedicalImage(url: dicom, data: data))
    let png = decoding.appendingPathComponent("png_gray16.png")
    XCTAssertFalse(MedicalImageReader.isMedicalImage(url: png, data: try Data(contentsOf: png)))
    XCTAssertEqual(
      try MedicalImageReader.sourceImage(contentsOf: dicom),
      try DICOMImage(contentsOf: dicom).medicalImage().sourceImage())
    // A .dcm name on PNG bytes gets a DICOM error naming the file, not a silent PNG decode.
    XCTAssertThrowsError(
      try MedicalImageReader.read(
        data: try Data(contentsOf: png), source: "scan.dcm", url: URL(fileURLWithPath: "/x/scan.dcm"))
    ) { error in
      XCTAssertEqual(error as? MedicalImageError, .notDICOM(source: "scan.dcm"))
    }
  }
}
