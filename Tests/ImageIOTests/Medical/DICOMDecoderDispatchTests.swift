import EfficientNetImageIO
import Foundation
import XCTest

/// `ImageDecoder` recognises DICOM files by content and hands them to the medical reader, so every
/// command that decodes images (classify, train, evaluate) accepts them.
final class DICOMDecoderDispatchTests: XCTestCase {
  func testImageDecoderDecodesDICOMToTheReferenceWindowedImage() throws {
    for name in ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_monochrome1.dcm"] {
      let fixture = try MedicalFixtures.named(name)
      let image = try ImageDecoder.decode(contentsOf: MedicalFixtures.url(name))
      XCTAssertEqual(image.width, fixture.columns, name)
      XCTAssertEqual(image.height, fixture.rows, name)
      XCTAssertEqual(image.channels, 1, name)
      let expected = [UInt8](try MedicalFixtures.data(try XCTUnwrap(fixture.windowed, name)))
      XCTAssertEqual(image.samples8, expected, name)
      let rgb = try ImageDecoder.decode(contentsOf: MedicalFixtures.url(name), pixelFormat: .rgb8)
      XCTAssertEqual(rgb.channels, 3, name)
      XCTAssertEqual(stride(from: 0, to: rgb.samples8.count, by: 3).map { rgb.samples8[$0] }, expected, name)
    }
  }

  func testImageDecoderNamesTheFileAndSyntaxOfAnUnsupportedDICOM() {
    let url = MedicalFixtures.url("MR_small_RLE.dcm")
    XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: url)) { error in
      let message = String(describing: error)
      XCTAssertTrue(message.contains("MR_small_RLE.dcm"), message)
      XCTAssertTrue(message.contains("1.2.840.10008.1.2.5"), message)
    }
  }

  func testAHeaderOnlyDICOMIsATruncatedFileNamedInTheError() throws {
    let bytes = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(bytes), source: "scan.dcm")) { error in
      let message = String(describing: error)
      XCTAssertTrue(message.hasPrefix("scan.dcm: truncated"), message)
    }
  }
}
