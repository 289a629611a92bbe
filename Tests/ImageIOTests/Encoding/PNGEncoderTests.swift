import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// The PNG encoder: checksums against published values, and exact round trips through our decoder
/// (libpng) and through Pillow.
final class PNGEncoderTests: XCTestCase {
  /// A seeded image of any layout, so every sample differs from its neighbours.
  private func image(width: Int, height: Int, channels: Int, bitDepth: Int, seed: UInt64 = 1) -> DecodedImage
  {
    var state = seed &* 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    let count = width * height * channels
    if bitDepth == 8 {
      return DecodedImage(
        width: width, height: height, channels: channels,
        samples8: (0..<count).map { _ in UInt8(next() & 0xFF) })
    }
    return DecodedImage(
      width: width, height: height, channels: channels,
      samples16: (0..<count).map { _ in UInt16(next() & 0xFFFF) })
  }

  func testChecksumsMatchPublishedValues() {
    XCTAssertEqual(Checksums.crc32(Array("123456789".utf8)), 0xCBF4_3926)
    XCTAssertEqual(
      Checksums.crc32(Array("6789".utf8), continuing: Checksums.crc32(Array("12345".utf8))), 0xCBF4_3926)
    XCTAssertEqual(Array("Wikipedia".utf8).withUnsafeBufferPointer { Checksums.adler32($0) }, 0x11E6_0398)
    // Long runs of 0xFF exercise the deferred modulo.
    let ones = [UInt8](repeating: 0xFF, count: 100_000)
    var low: UInt64 = 1
    var high: UInt64 = 0
    for byte in ones {
      low = (low + UInt64(byte)) % 65521
      high = (high + low) % 65521
    }
    XCTAssertEqual(ones.withUnsafeBufferPointer { Checksums.adler32($0) }, UInt32(high << 16 | low))
  }

  func testEveryLayoutRoundTripsExactlyThroughOurDecoder() throws {
    for bitDepth in [8, 16] {
      for channels in 1...4 {
        for (width, height) in [(1, 1), (7, 5), (203, 131)] {
          let original = image(width: width, height: height, channels: channels, bitDepth: bitDepth)
          let data = try PNGEncoder.encode(original)
          let decoded = try ImageDecoder.decode(data: data, source: "round trip")
          XCTAssertEqual(decoded, original, "\(width)×\(height)×\(channels) at \(bitDepth) bits")
        }
      }
    }
  }

  /// 203 × 131 RGBA 16-bit is 212,744 bytes of rows: four stored blocks, the last one partial.
  func testStoredBlocksSplitAt65535Bytes() throws {
    let original = image(width: 203, height: 131, channels: 4, bitDepth: 16)
    let data = try PNGEncoder.encode(original)
    let payload = (203 * 4 * 2 + 1) * 131
    let blocks = (payload + 65_534) / 65_535
    // Signature, IHDR (25), IDAT framing (12 + zlib 2 + 4 + 5 per block), IEND (12).
    XCTAssertEqual(data.count, 8 + 25 + 12 + 2 + 5 * blocks + payload + 4 + 12)
  }

  func testEmptyImageAndUnwritableDestinationThrowNamingTheFile() throws {
    let empty = DecodedImage(width: 0, height: 3, channels: 3, samples8: [])
    XCTAssertThrowsError(try PNGEncoder.encode(empty, destination: "empty.png")) { error in
      XCTAssertEqual(error as? ImageEncodingError, .emptyImage(destination: "empty.png", width: 0, height: 3))
    }
    let missing = URL(fileURLWithPath: "/nonexistent-folder-\(UUID().uuidString)/heat.png")
    XCTAssertThrowsError(
      try PNGEncoder.write(image(width: 2, height: 2, channels: 3, bitDepth: 8), to: missing)
    ) {
      error in
      XCTAssertTrue("\(error)".hasPrefix(missing.path), "\(error)")
    }
  }

  /// Pillow decodes what we write to exactly our samples (skipped without python3 and Pillow).
  func testPillowDecodesTheSamplesWritten() throws {
    let folder = try makeTemporaryFolder("png")
    let cases: [(name: String, image: DecodedImage)] = [
      ("gray8", image(width: 9, height: 4, channels: 1, bitDepth: 8)),
      ("grayalpha8", image(width: 5, height: 3, channels: 2, bitDepth: 8)),
      ("rgb8", image(width: 300, height: 120, channels: 3, bitDepth: 8)),
      ("rgba8", image(width: 6, height: 7, channels: 4, bitDepth: 8)),
      ("gray16", image(width: 5, height: 6, channels: 1, bitDepth: 16)),
    ]
    for (name, picture) in cases {
      try PNGEncoder.write(picture, to: folder.appendingPathComponent(name + ".png"))
    }
    let script = """
      import json, sys
      import numpy as np
      from PIL import Image
      out = {}
      for name in sys.argv[2:]:
          im = Image.open(f"{sys.argv[1]}/{name}.png")
          im.load()
          out[name] = [im.mode, im.size[0], im.size[1], np.asarray(im).astype(np.int64).ravel().tolist()]
      print(json.dumps(out))
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, folder.path] + cases.map(\.name)
    let output = Pipe()
    process.standardOutput = output
    process.standardError = Pipe()
    do { try process.run() } catch { throw XCTSkip("python3 is not available: \(error)") }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw XCTSkip("python3 with numpy and Pillow is not available")
    }
    let decoded = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [Any]])
    let modes = ["gray8": "L", "grayalpha8": "LA", "rgb8": "RGB", "rgba8": "RGBA", "gray16": "I;16"]
    for (name, picture) in cases {
      let entry = try XCTUnwrap(decoded[name], name)
      XCTAssertEqual(entry[0] as? String, modes[name], name)
      XCTAssertEqual(entry[1] as? Int, picture.width, name)
      XCTAssertEqual(entry[2] as? Int, picture.height, name)
      let samples = try XCTUnwrap(entry[3] as? [Int], name)
      let expected = picture.bitDepth == 8 ? picture.samples8.map(Int.init) : picture.samples16.map(Int.init)
      XCTAssertEqual(samples, expected, name)
    }
  }
}
