import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// `DecodedImage.convertedToRGB8` and `luminance16` against hand-computed values, and decodes of real
/// photos and chest X-rays against Pillow's (by CRC-32).
final class ImageConversionTests: XCTestCase {
  func testGrayIsReplicatedAndAlphaIsDroppedNotComposited() {
    let gray = DecodedImage(width: 2, height: 1, channels: 1, samples8: [7, 200])
    XCTAssertEqual(gray.convertedToRGB8().samples8, [7, 7, 7, 200, 200, 200])
    let grayAlpha = DecodedImage(width: 2, height: 1, channels: 2, samples8: [7, 0, 200, 128])
    XCTAssertEqual(grayAlpha.convertedToRGB8().samples8, [7, 7, 7, 200, 200, 200])
    let rgba = DecodedImage(width: 1, height: 2, channels: 4, samples8: [1, 2, 3, 0, 4, 5, 6, 255])
    let rgb = rgba.convertedToRGB8()
    XCTAssertEqual([rgb.width, rgb.height, rgb.channels, rgb.bitDepth], [1, 2, 3, 8])
    XCTAssertEqual(rgb.samples8, [1, 2, 3, 4, 5, 6])
  }

  func testSixteenBitGrayClampsLikePillowOrKeepsTheHighByte() {
    let gray16 = DecodedImage(width: 4, height: 1, channels: 1, samples16: [0, 255, 256, 65535])
    XCTAssertEqual(gray16.convertedToRGB8().samples8, [0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255])
    XCTAssertEqual(
      gray16.convertedToRGB8(sixteenBitGray: .highByte).samples8, [0, 0, 0, 0, 0, 0, 1, 1, 1, 255, 255, 255])
  }

  func testSixteenBitColourKeepsTheHighByteLikePillow() {
    let rgba16 = DecodedImage(width: 1, height: 1, channels: 4, samples16: [1000, 40000, 65535, 511])
    XCTAssertEqual(rgba16.convertedToRGB8().samples8, [3, 156, 255])
    let grayAlpha16 = DecodedImage(width: 1, height: 1, channels: 2, samples16: [1000, 40000])
    XCTAssertEqual(grayAlpha16.convertedToRGB8().samples8, [3, 3, 3])
  }

  func testLuminance16KeepsSixteenBitsAndUsesBT601Weights() {
    let gray16 = DecodedImage(width: 2, height: 1, channels: 1, samples16: [1, 65535])
    XCTAssertEqual(gray16.luminance16().samples16, [1, 65535])
    let gray8 = DecodedImage(width: 2, height: 1, channels: 2, samples8: [1, 9, 255, 9])
    XCTAssertEqual(gray8.luminance16().samples16, [257, 65535])
    // Pure red, green, blue and white at 8 bits: 0.299, 0.587, 0.114 of 65535, rounded; white stays white.
    let rgb = DecodedImage(
      width: 4, height: 1, channels: 3, samples8: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
    let luminance = rgb.luminance16()
    XCTAssertEqual([luminance.channels, luminance.bitDepth], [1, 16])
    XCTAssertEqual(luminance.samples16, [19595, 38469, 7471, 65535])
  }

  /// Our decode of each real photo, converted to RGB, has the same CRC-32 as Pillow's
  /// `Image.open(p).convert("RGB")`; each chest X-ray decodes to one 8-bit channel equal to Pillow's "L".
  func testSharedPhotosAndChestXraysDecodeExactlyLikePillow() throws {
    let checksums = try DecodingFixtures.sharedImageChecksums()
    var checked = 0
    for (storedPath, expected) in checksums.sorted(by: { $0.key < $1.key }) {
      guard let url = SharedData.relocated(storedPath) else { continue }
      let path = url.path
      let image = try ImageDecoder.decode(contentsOf: url, applyOrientation: false)
      let compared = expected.mode == "L" ? image : image.convertedToRGB8()
      XCTAssertEqual(compared.channels, expected.mode == "L" ? 1 : 3, path)
      XCTAssertEqual([compared.width, compared.height], [expected.width, expected.height], path)
      XCTAssertEqual(CRC32.checksum(compared.samples8), expected.crc32, path)
      if expected.mode == "L" {
        // libjpeg's own gray-to-RGB expansion gives the same samples as replicating afterwards.
        let direct = try ImageDecoder.decode(contentsOf: url, pixelFormat: .rgb8)
        XCTAssertEqual(direct, image.convertedToRGB8(), path)
      }
      checked += 1
    }
    if checked == 0 { throw XCTSkip("none of the shared images is present") }
  }
}
