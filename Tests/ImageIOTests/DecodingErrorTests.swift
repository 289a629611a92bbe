import EfficientNetCore
import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// Unsupported, empty, missing, corrupt and oversized inputs give clear errors that name the file.
final class DecodingErrorTests: XCTestCase {
  private var temporaryDirectory: URL!

  override func setUpWithError() throws {
    temporaryDirectory = try makeTemporaryFolder("DecodingErrorTests")
  }

  private func decodeError(_ bytes: [UInt8], named name: String) throws -> ImageDecodingError {
    let url = temporaryDirectory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    do {
      let image = try ImageDecoder.decode(contentsOf: url)
      XCTFail("\(name) decoded to \(image.width)×\(image.height)")
    } catch let error as ImageDecodingError {
      XCTAssertEqual(error.source, url.path)
      XCTAssertTrue(error.description.hasPrefix(url.path + ": "), error.description)
      return error
    }
    throw XCTSkip("unreachable")
  }

  func testOtherFormatsAreNamedInTheUnsupportedFormatError() throws {
    let headers: [(String, [UInt8], String)] = [
      ("x.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 60), "BMP"),
      ("x.gif", Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0], "GIF"),
      ("x.webp", Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8), "WebP"),
      ("x.tif", [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], "TIFF"),
    ]
    for (name, bytes, format) in headers {
      let error = try decodeError(bytes, named: name)
      XCTAssertEqual(error, .unsupportedFormat(source: error.source, detectedFormat: format))
      XCTAssertTrue(
        error.description.hasSuffix("unsupported image format \(format) (only JPEG and PNG are decoded)"))
    }
  }

  func testEmptyFileIsAnEmptyFileError() throws {
    let error = try decodeError([], named: "empty.jpg")
    XCTAssertEqual(error.description, "\(error.source): empty file (0 bytes), not an image")
  }

  func testRandomBytesAreAnUnsupportedFormat() throws {
    var generator = SeededGenerator(seed: 11)
    for index in 0..<20 {
      var bytes = (0..<(index * 53 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
      bytes[0] = 0x42 ^ UInt8(index & 1)  // neither FF nor 89, so no magic bytes match
      let error = try decodeError(bytes, named: "random\(index).jpg")
      XCTAssertTrue(error.description.contains("unsupported image format"), error.description)
    }
  }

  func testMissingFileAndDirectoryAreUnreadable() throws {
    let missing = temporaryDirectory.appendingPathComponent("missing.png")
    XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: missing)) { error in
      XCTAssertEqual(
        error as? ImageDecodingError, .unreadableFile(source: missing.path, reason: "no such file"))
      XCTAssertEqual("\(error)", "\(missing.path): cannot read file (no such file)")
    }
    XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: temporaryDirectory)) { error in
      XCTAssertTrue("\(error)".hasPrefix("\(self.temporaryDirectory.path): cannot read file"), "\(error)")
    }
  }

  func testNonFileURLIsRefusedWithoutFetching() throws {
    let url = try XCTUnwrap(URL(string: "https://example.com/cat.jpg"))
    XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: url)) { error in
      XCTAssertEqual("\(error)", "https://example.com/cat.jpg: cannot read file (not a file URL)")
    }
  }

  func testJPEGWithTwelveBitPrecisionOrLosslessProcessIsAnUnsupportedFeature() throws {
    let jpeg = [UInt8](try DecodingFixtures.data("jpeg_baseline_444.jpg"))
    let frame = try XCTUnwrap(DecodingTestBytes.jpegSegmentOffset(jpeg, marker: 0xC0))
    var twelveBit = jpeg
    twelveBit[frame + 4] = 12
    let precisionError = try decodeError(twelveBit, named: "twelve.jpg")
    XCTAssertEqual(
      precisionError.description,
      "\(precisionError.source): unsupported JPEG feature (libjpeg: Unsupported JPEG data precision 12)")
    var lossless = jpeg
    lossless[frame + 1] = 0xC3
    let losslessError = try decodeError(lossless, named: "lossless.jpg")
    guard case .unsupportedFeature(_, .jpeg, let detail) = losslessError else {
      return XCTFail("\(losslessError)")
    }
    XCTAssertTrue(detail.contains("SOF type 0xc3"), detail)
  }

  func testPNGCRCErrorIsACorruptPNGError() throws {
    var png = [UInt8](try DecodingFixtures.data("png_rgb8.png"))
    // The last byte of the first IDAT chunk's CRC (a flip inside the data may upset zlib first).
    let idat = try XCTUnwrap((8..<png.count - 4).first { png[$0..<$0 + 4].elementsEqual("IDAT".utf8) })
    let length = BigEndian.integer(png[(idat - 4)..<idat])
    png[idat + 4 + length + 3] ^= 0x10
    let error = try decodeError(png, named: "crc.png")
    XCTAssertEqual(error.description, "\(error.source): corrupt PNG (libpng: IDAT: CRC error)")
  }

  func testImagesOverThePixelLimitAreRefusedBeforeDecoding() throws {
    // A PNG header claiming 100000 × 100000 pixels (valid CRCs, no pixel data at all).
    let header = BigEndian.bytes(100_000) + BigEndian.bytes(100_000) + [8, 2, 0, 0, 0]
    let png =
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + DecodingTestBytes.pngChunk("IHDR", header)
      + DecodingTestBytes.pngChunk("IDAT", [0x78, 0x9C]) + DecodingTestBytes.pngChunk("IEND", [])
    let pngError = try decodeError(png, named: "bomb.png")
    XCTAssertEqual(
      pngError.description,
      "\(pngError.source): image too large (100000 × 100000 pixels exceeds the limit of 268435456 pixels)")

    // A JPEG whose frame header claims 60000 × 60000.
    var jpeg = [UInt8](try DecodingFixtures.data("jpeg_baseline_420.jpg"))
    let frame = try XCTUnwrap(DecodingTestBytes.jpegSegmentOffset(jpeg, marker: 0xC0))
    jpeg.replaceSubrange((frame + 5)..<(frame + 9), with: [0xEA, 0x60, 0xEA, 0x60])
    let jpegError = try decodeError(jpeg, named: "bomb.jpg")
    XCTAssertEqual(
      jpegError, .tooLarge(source: jpegError.source, width: 60000, height: 60000, maximumPixelCount: 1 << 28))

    // The limit is adjustable.
    let data = try DecodingFixtures.data("jpeg_baseline_420.jpg")
    XCTAssertThrowsError(try ImageDecoder.decode(data: data, source: "small.jpg", maximumPixelCount: 874)) {
      XCTAssertEqual(
        $0 as? ImageDecodingError,
        .tooLarge(source: "small.jpg", width: 35, height: 25, maximumPixelCount: 874))
    }
    XCTAssertEqual(try ImageDecoder.decode(data: data, source: "small.jpg", maximumPixelCount: 875).width, 35)
  }

  /// Junk bytes between JPEG segments only make libjpeg warn; the pixels are intact, so we decode them.
  func testJunkBetweenJPEGSegmentsIsTolerated() throws {
    var jpeg = [UInt8](try DecodingFixtures.data("jpeg_baseline_420.jpg"))
    let quantization = try XCTUnwrap(DecodingTestBytes.jpegSegmentOffset(jpeg, marker: 0xDB))
    jpeg.insert(contentsOf: [0x00, 0x12, 0x34], at: quantization)
    let image = try ImageDecoder.decode(data: Data(jpeg), source: "junk.jpg")
    XCTAssertEqual(image.samples8, try DecodingFixtures.samples8("jpeg_baseline_420.native.bin"))
  }
}
