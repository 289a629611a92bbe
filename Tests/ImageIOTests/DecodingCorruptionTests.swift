import EfficientNetCore
import EfficientNetImageIO
import Foundation
import XCTest

/// Truncated and bit-flipped versions of real files: each one is either an `ImageDecodingError` naming the
/// file or (for damage libjpeg cannot detect, such as a flip inside entropy-coded data) an image of the
/// original size. Never a crash, a hang, or a silently gray truncated image.
final class DecodingCorruptionTests: XCTestCase {
  /// A file to damage, with the size it decodes to.
  private struct Original {
    var name: String
    var bytes: [UInt8]
    var width: Int
    var height: Int
    /// Byte offsets whose change may legitimately change the image size (JPEG SOF height and width).
    var sizeBytes: Range<Int>
  }

  private func original(name: String, data: Data) throws -> Original {
    let bytes = [UInt8](data)
    let image = try ImageDecoder.decode(data: data, source: name, applyOrientation: false)
    var sizeBytes = 0..<0
    if ImageDecoder.format(of: data) == .jpeg {
      for marker: UInt8 in [0xC0, 0xC1, 0xC2] {
        if let frame = DecodingTestBytes.jpegSegmentOffset(bytes, marker: marker) {
          sizeBytes = (frame + 5)..<(frame + 9)
        }
      }
    }
    return Original(name: name, bytes: bytes, width: image.width, height: image.height, sizeBytes: sizeBytes)
  }

  private func fixtureOriginals() throws -> [Original] {
    try DecodingFixtures.all().map { fixture in
      try original(name: fixture.file, data: try DecodingFixtures.data(fixture.file))
    }
  }

  private func sharedOriginals() throws -> [Original] {
    let urls = DecodingFixtures.sharedImages()
    if urls.isEmpty { throw XCTSkip("no images in ../shared/images") }
    return try urls.map { try original(name: $0.lastPathComponent, data: try Data(contentsOf: $0)) }
  }

  /// Prefix lengths to cut at: the edges, the middle, and `randomCount` seeded random ones.
  private func truncationLengths(_ count: Int, randomCount: Int, generator: inout SeededGenerator) -> [Int] {
    var lengths = [0, 1, 2, 3, 4, 7, 8, 10, 16, 33, 100, count / 4, count / 2, 3 * count / 4]
    lengths += [count - 100, count - 10, count - 3, count - 2, count - 1]
    lengths += (0..<randomCount).map { _ in Int.random(in: 0..<count, using: &generator) }
    return Set(lengths.filter { $0 >= 0 && $0 < count }).sorted()
  }

  /// Every prefix must fail with an error naming the file; past the magic bytes, a truncation error.
  private func checkTruncations(of originals: [Original], randomCount: Int) {
    var generator = SeededGenerator(seed: 2024)
    for original in originals {
      let source = "cut-\(original.name)"
      for length in truncationLengths(original.bytes.count, randomCount: randomCount, generator: &generator) {
        do {
          let image = try ImageDecoder.decode(data: Data(original.bytes.prefix(length)), source: source)
          XCTFail("\(original.name) cut to \(length) bytes decoded to \(image.width)×\(image.height)")
        } catch let error as ImageDecodingError {
          XCTAssertTrue(error.description.hasPrefix("\(source): "), error.description)
          switch (length, error) {
          case (0, .emptyFile), (1..<8, .unsupportedFormat), (_, .truncated): break
          default: XCTFail("\(original.name) cut to \(length) bytes: unexpected error \(error)")
          }
        } catch {
          XCTFail("\(original.name) cut to \(length) bytes: not an ImageDecodingError: \(error)")
        }
      }
    }
  }

  /// Flips 1 to 3 random bits per variant (seeded); each variant fails cleanly or keeps the image size.
  private func checkBitFlips(of originals: [Original], variants: Int) {
    var generator = SeededGenerator(seed: 7)
    var slowest = 0.0
    for original in originals {
      var failures = 0
      for variant in 0..<variants {
        var bytes = original.bytes
        var positions: [Int] = []
        for _ in 0..<(variant % 3 + 1) {
          let position = Int.random(in: 0..<bytes.count, using: &generator)
          bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
          positions.append(position)
        }
        let source = "flip-\(original.name)"
        let start = Date()
        do {
          let image = try ImageDecoder.decode(data: Data(bytes), source: source, applyOrientation: false)
          let resized = image.width != original.width || image.height != original.height
          if resized && !positions.contains(where: original.sizeBytes.contains) {
            XCTFail(
              "\(original.name) with bits flipped at \(positions) decoded to \(image.width)×\(image.height)")
          }
        } catch let error as ImageDecodingError {
          failures += 1
          XCTAssertTrue(error.description.hasPrefix("\(source): "), error.description)
        } catch {
          XCTFail("\(original.name) flipped at \(positions): not an ImageDecodingError: \(error)")
        }
        slowest = max(slowest, Date().timeIntervalSince(start))
      }
      if ImageDecoder.format(of: Data(original.bytes)) == .png {
        // Every byte of a PNG but the first eight is covered by a chunk CRC; flips in ancillary chunks
        // are skipped with a warning (and change nothing we decode), so almost all variants fail.
        XCTAssertGreaterThan(failures, variants * 8 / 10, "\(original.name): CRC errors expected")
      }
    }
    XCTAssertLessThan(slowest, 2, "one damaged file took \(slowest) s to decode")
  }

  func testTruncatedFixturesAreAlwaysTruncationErrorsNamingTheFile() throws {
    checkTruncations(of: try fixtureOriginals(), randomCount: 30)
  }

  func testBitFlippedFixturesFailCleanlyOrKeepTheirSize() throws {
    checkBitFlips(of: try fixtureOriginals(), variants: 300)
  }

  func testTruncatedSharedPhotosAreAlwaysTruncationErrors() throws {
    checkTruncations(of: try sharedOriginals(), randomCount: 20)
  }

  func testBitFlippedSharedJPEGPhotosFailCleanlyOrKeepTheirSize() throws {
    let jpegs = try sharedOriginals().filter { !$0.name.hasSuffix(".png") }
    checkBitFlips(of: jpegs, variants: 120)
  }

  func testBitFlippedSharedPNGPhotosFailCleanly() throws {
    let pngs = try sharedOriginals().filter { $0.name.hasSuffix(".png") }
    checkBitFlips(of: pngs, variants: 60)
  }

  /// A JPEG cut right before its end-of-image marker is an error, not a silently accepted image; the same
  /// holds for a PNG missing IEND.
  func testFilesMissingOnlyTheirEndMarkerAreTruncated() throws {
    let jpeg = [UInt8](try DecodingFixtures.data("jpeg_baseline_420.jpg"))
    XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(jpeg.dropLast(2)), source: "no-eoi.jpg")) {
      error in
      XCTAssertEqual(
        "\(error)", "no-eoi.jpg: truncated JPEG data (libjpeg: Premature end of JPEG file)")
    }
    let png = [UInt8](try DecodingFixtures.data("png_rgb8.png"))
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(png.dropLast(12)), source: "no-iend.png")) {
      error in
      XCTAssertEqual("\(error)", "no-iend.png: truncated PNG data (libpng: unexpected end of file)")
    }
  }

  /// A truncated JPEG half way through its scan is an error, where libjpeg alone would pad it with gray.
  func testJPEGCutInsideTheScanIsNotPaddedWithGray() throws {
    let jpeg = [UInt8](try DecodingFixtures.data("jpeg_progressive_420.jpg"))
    for length in stride(from: jpeg.count / 2, to: jpeg.count, by: 37) {
      XCTAssertThrowsError(try ImageDecoder.decode(data: Data(jpeg.prefix(length)), source: "half.jpg")) {
        XCTAssertTrue("\($0)".hasPrefix("half.jpg: truncated JPEG data"), "\($0)")
      }
    }
  }
}
