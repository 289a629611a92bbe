import EfficientNetImageIO
import Foundation
import XCTest

/// EXIF orientation: read from JPEG APP1 and PNG eXIf, applied like Pillow's `ImageOps.exif_transpose`,
/// and ignored (never a crash) when malformed.
final class DecodingOrientationTests: XCTestCase {
  func testEachJPEGOrientationMatchesPillowExifTranspose() throws {
    let fixtures = try DecodingFixtures.named("jpeg_orientation_")
    XCTAssertEqual(fixtures.map(\.orientation), Array(1...8))
    let stored = try DecodingFixtures.samples8("jpeg_orientation_stored.rgb8.bin")
    for fixture in fixtures {
      let data = try DecodingFixtures.data(fixture.file)
      XCTAssertEqual(ImageDecoder.orientation(of: data).rawValue, fixture.orientation, fixture.name)
      let upright = try ImageDecoder.decode(data: data, source: fixture.file)
      XCTAssertEqual(upright.width, fixture.width, fixture.name)
      XCTAssertEqual(upright.height, fixture.height, fixture.name)
      XCTAssertEqual(upright.samples8, try DecodingFixtures.samples8(fixture.native), fixture.name)
      let asStored = try ImageDecoder.decode(data: data, source: fixture.file, applyOrientation: false)
      XCTAssertEqual(asStored.width, 35, fixture.name)
      XCTAssertEqual(asStored.samples8, stored, fixture.name)
    }
  }

  func testPNGExifChunkOrientationIsApplied() throws {
    let fixture = try XCTUnwrap(try DecodingFixtures.named("png_orientation_6").first)
    let data = try DecodingFixtures.data(fixture.file)
    XCTAssertEqual(ImageDecoder.orientation(of: data), .rotate90Clockwise)
    let image = try ImageDecoder.decode(data: data, source: fixture.file)
    XCTAssertEqual([image.width, image.height], [25, 35])
    XCTAssertEqual(image.samples8, try DecodingFixtures.samples8(fixture.native))
  }

  /// A 3 × 2 gray image with distinct samples, oriented by hand from the EXIF definitions.
  func testApplyingOrientationMovesPixelsAsTheExifDefinitionsSay() {
    // Stored:  1 2 3
    //          4 5 6
    let image = DecodedImage(width: 3, height: 2, channels: 1, samples8: [1, 2, 3, 4, 5, 6])
    let expected: [ExifOrientation: (width: Int, samples: [UInt8])] = [
      .identity: (3, [1, 2, 3, 4, 5, 6]),
      .flipHorizontal: (3, [3, 2, 1, 6, 5, 4]),
      .rotate180: (3, [6, 5, 4, 3, 2, 1]),
      .flipVertical: (3, [4, 5, 6, 1, 2, 3]),
      .transpose: (2, [1, 4, 2, 5, 3, 6]),
      .rotate90Clockwise: (2, [4, 1, 5, 2, 6, 3]),
      .transverse: (2, [6, 3, 5, 2, 4, 1]),
      .rotate90CounterClockwise: (2, [3, 6, 2, 5, 1, 4]),
    ]
    for orientation in ExifOrientation.allCases {
      let oriented = image.applyingOrientation(orientation)
      let want = expected[orientation]!
      XCTAssertEqual(oriented.width, want.width, "\(orientation)")
      XCTAssertEqual(oriented.height, 6 / want.width, "\(orientation)")
      XCTAssertEqual(oriented.samples8, want.samples, "\(orientation)")
    }
  }

  func testOrientationKeepsChannelsTogetherAndSixteenBitSamples() {
    // 2 × 1 RGBA16: pixel A then pixel B; a horizontal flip must swap whole pixels.
    let pixelA: [UInt16] = [1, 2, 3, 4]
    let pixelB: [UInt16] = [65535, 1000, 7, 0]
    let image = DecodedImage(width: 2, height: 1, channels: 4, samples16: pixelA + pixelB)
    XCTAssertEqual(image.applyingOrientation(.flipHorizontal).samples16, pixelB + pixelA)
    let rotated = image.applyingOrientation(.rotate90Clockwise)
    XCTAssertEqual([rotated.width, rotated.height], [1, 2])
    XCTAssertEqual(rotated.samples16, pixelA + pixelB)
  }

  /// Damaged EXIF blocks (offsets past the end, huge entry counts, wrong byte order, wrong tag type,
  /// out-of-range values, cut-off segments) are ignored: the image decodes, unrotated.
  func testMalformedExifIsIgnoredWithoutCrashing() throws {
    let original = [UInt8](try DecodingFixtures.data("jpeg_orientation_6.jpg"))
    let stored = try DecodingFixtures.samples8("jpeg_orientation_stored.rgb8.bin")
    let app1 = try XCTUnwrap(DecodingTestBytes.jpegSegmentOffset(original, marker: 0xE1))
    let tiff = app1 + 4 + 6  // after FF E1, length, "Exif\0\0"
    let littleEndian = original[tiff] == 0x49
    func patched(_ edits: [(Int, UInt8)]) -> [UInt8] {
      var bytes = original
      for (offset, value) in edits { bytes[offset] = value }
      return bytes
    }
    let directory = tiff + 8  // Pillow writes IFD0 right after the header
    let cases: [(String, [UInt8])] = [
      ("byte order", patched([(tiff, 0x58), (tiff + 1, 0x58)])),
      ("TIFF magic", patched([(tiff + 2, 0), (tiff + 3, 0)])),
      (
        "IFD offset past the end",
        patched([(tiff + 4, 0xFF), (tiff + 5, 0xFF), (tiff + 6, 0xFF), (tiff + 7, 0x7F)])
      ),
      (
        "huge entry count, no orientation entry",
        patched([(directory, 0xFF), (directory + 1, 0xFF), (directory + 3, 0x13)])
      ),
      (
        "tag type ASCII",
        patched([(directory + 4, littleEndian ? 2 : 0), (directory + 5, littleEndian ? 0 : 2)])
      ),
      ("value 9", patched([(directory + 10, littleEndian ? 9 : 0), (directory + 11, littleEndian ? 0 : 9)])),
      ("segment length 2", patched([(app1 + 2, 0), (app1 + 3, 2)])),
      ("segment length past the end", patched([(app1 + 2, 0xFF), (app1 + 3, 0xFF)])),
    ]
    for (name, bytes) in cases {
      let data = Data(bytes)
      XCTAssertEqual(ImageDecoder.orientation(of: data), .identity, name)
      if name.hasPrefix("segment length") {
        // The JPEG structure itself is damaged: libjpeg either skips the junk (a harmless warning) and
        // decodes the same pixels, or reports an error naming the file; never a crash.
        do {
          let image = try ImageDecoder.decode(data: data, source: "exif-\(name).jpg")
          XCTAssertEqual(image.samples8, stored, name)
        } catch let error as ImageDecodingError {
          XCTAssertTrue(error.description.hasPrefix("exif-\(name).jpg: "), error.description)
        }
      } else {
        let image = try ImageDecoder.decode(data: data, source: "exif.jpg")
        XCTAssertEqual(image.samples8, stored, name)
      }
    }
    // The reader stops at the first scan, and survives every prefix of the file.
    for length in 0..<min(original.count, 400) {
      _ = ImageDecoder.orientation(of: Data(original.prefix(length)))
    }
  }
}
