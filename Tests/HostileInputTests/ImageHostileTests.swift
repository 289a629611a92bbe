import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// Image headers that declare more decoded bytes than the limit, and a DICOM file cut in its preamble:
/// each refused from its first bytes, before any pixel memory, with a message naming the file.
final class ImageHostileTests: XCTestCase {
  // MARK: Decoded-byte limit

  func testSixteenBitPNGWithinThePixelLimitIsRefusedForItsBytes() throws {
    // 16384 × 16384 = 2^28 pixels (the pixel limit exactly), RGB at 16 bits: 1.5 GiB of samples.
    let png = Self.pngHeader(width: 16384, height: 16384, bitDepth: 16, colorType: 2)
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(png), source: "wide16.png")) { error in
      guard
        case .tooManyBytes(_, 16384, 16384, 3, 2, ImageDecoder.defaultMaximumDecodedByteCount)? =
          error as? ImageDecodingError
      else { return XCTFail("expected tooManyBytes, got \(error)") }
      let message = "\(error)"
      for fragment in ["wide16.png: ", "16384 × 16384", "3 channels", "2 bytes", "536870912"] {
        XCTAssertTrue(message.contains(fragment), message)
      }
    }
    // The same header passes the byte check with a larger limit (then fails on the missing data).
    XCTAssertThrowsError(
      try ImageDecoder.decode(
        data: Data(Self.pngHeader(width: 64, height: 64, bitDepth: 16, colorType: 2)), source: "small.png",
        maximumDecodedByteCount: 64 * 64 * 6 - 1)
    ) { error in
      guard case .tooManyBytes? = error as? ImageDecodingError else { return XCTFail("\(error)") }
    }
  }

  func testClassifyRefusesTheSixteenBitPNGWithoutAllocatingIt() throws {
    let file = temporaryLocation("wide16.png")
    try Data(Self.pngHeader(width: 16384, height: 16384, bitDepth: 16, colorType: 6)).write(to: file)
    let outcome = try assertToolRefuses(
      ["classify", file.path], naming: [file.lastPathComponent, "16384 × 16384", "limit"], peakMemoryMiB: 600,
      deadline: 45)
    print("\(name): \(outcome.summary.prefix(200))")
  }

  func testJPEGHeaderDeclaringMoreBytesThanTheLimitIsRefused() throws {
    // 16384 × 16384 × 3 channels × 1 byte = 768 MiB.
    let jpeg = Self.jpegHeader(width: 16384, height: 16384, components: 3)
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(jpeg), source: "wide.jpg")) { error in
      guard case .tooManyBytes(_, 16384, 16384, 3, 1, _)? = error as? ImageDecodingError else {
        return XCTFail("expected tooManyBytes, got \(error)")
      }
      XCTAssertTrue("\(error)".hasPrefix("wide.jpg: image too large to decode"), "\(error)")
    }
  }

  func testDICOMDeclaringMoreBytesThanTheLimitIsRefused() throws {
    // 16384 × 16384 RGB: 2^28 pixels, 3 GiB of Int32 values; the file holds 4 bytes of pixel data.
    let dicom = Self.dicom(rows: 16384, columns: 16384, samplesPerPixel: 3)
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(dicom), source: "huge.dcm")) { error in
      guard case .tooManyBytes(_, 16384, 16384, 3, 4, _)? = error as? MedicalImageError else {
        return XCTFail("expected tooManyBytes, got \(error)")
      }
      XCTAssertTrue("\(error)".hasPrefix("huge.dcm: image too large to decode"), "\(error)")
      XCTAssertTrue("\(error)".contains("536870912"), "\(error)")
    }
  }

  // MARK: Format guessing

  func testDICOMCutInItsPreambleIsNotCalledTIFF() throws {
    // DICOM preambles often hold a TIFF header (dual-format files); cut at 100 bytes, before "DICM".
    let cut = Array(
      Self.dicom(rows: 2, columns: 2, samplesPerPixel: 1, preamble: [0x49, 0x49, 0x2A, 0x00])
        .prefix(100))
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(cut), source: "cut.dcm")) { error in
      let message = "\(error)"
      XCTAssertFalse(message.contains("TIFF"), message)
      for fragment in ["cut.dcm: ", "not JPEG or PNG", "100 bytes", "49 49 2A 00", "too short to be DICOM"] {
        XCTAssertTrue(message.contains(fragment), message)
      }
    }
    // A long enough TIFF is still named.
    let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + [UInt8](repeating: 0, count: 200)
    XCTAssertThrowsError(try ImageDecoder.decode(data: Data(tiff), source: "x.tif")) { error in
      XCTAssertEqual(
        error as? ImageDecodingError, .unsupportedFormat(source: "x.tif", detectedFormat: "TIFF"))
    }
  }

  func testClassifyNamesTheCutDICOM() throws {
    let file = temporaryLocation("cut.dcm")
    let cut = Self.dicom(rows: 2, columns: 2, samplesPerPixel: 1, preamble: [0x49, 0x49, 0x2A, 0x00]).prefix(
      64)
    try Data(cut).write(to: file)
    let outcome = try assertToolRefuses(
      ["classify", file.path], naming: [file.lastPathComponent, "too short to be DICOM"], deadline: 45)
    print("\(name): \(outcome.summary.prefix(200))")
    XCTAssertFalse(outcome.error.contains("TIFF"), outcome.summary)
  }

  // MARK: Builders

  /// A PNG signature, IHDR, a few bytes of IDAT and IEND: enough for libpng to read the header.
  static func pngHeader(width: UInt32, height: UInt32, bitDepth: UInt8, colorType: UInt8) -> [UInt8] {
    let header = BigEndian.bytes(width) + BigEndian.bytes(height) + [bitDepth, colorType, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", header)
      + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00]) + pngChunk("IEND", [])
  }

  private static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + data
    return BigEndian.bytes(UInt32(data.count)) + typed + BigEndian.bytes(CRC32.checksum(typed))
  }

  /// SOI, a quantization table, a baseline SOF0 and an SOS header: what `jpeg_read_header` reads (the
  /// Huffman tables fall back to the standard ones).
  static func jpegHeader(width: Int, height: Int, components: Int) -> [UInt8] {
    func segment(_ marker: UInt8, _ body: [UInt8]) -> [UInt8] {
      [0xFF, marker, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
    }
    let quantization = segment(0xDB, [0x00] + [UInt8](repeating: 1, count: 64))
    var frame: [UInt8] = [
      8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF),
    ]
    frame.append(UInt8(components))
    for component in 1...components { frame += [UInt8(component), 0x11, 0] }
    var scan: [UInt8] = [UInt8(components)]
    for component in 1...components { scan += [UInt8(component), 0x00] }
    scan += [0, 63, 0]
    return [0xFF, 0xD8] + quantization + segment(0xC0, frame) + segment(0xDA, scan) + [0x00, 0xFF, 0xD9]
  }

  /// A Part 10 DICOM file, Explicit VR Little Endian, with 4 bytes of native pixel data.
  static func dicom(rows: Int, columns: Int, samplesPerPixel: Int, preamble: [UInt8] = []) -> [UInt8] {
    func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
      var bytes = LittleEndian.bytes(group) + LittleEndian.bytes(element) + Array(vr.utf8)
      if vr == "OB" {
        bytes += [0, 0] + LittleEndian.bytes(UInt16(value.count & 0xFFFF)) + LittleEndian.bytes(UInt16(0))
      } else {
        bytes += LittleEndian.bytes(UInt16(value.count))
      }
      return bytes + value
    }
    func unsigned(_ value: Int) -> [UInt8] { LittleEndian.bytes(UInt16(value)) }
    let syntax = Array("1.2.840.10008.1.2.1".utf8) + [0]
    let photometric = Array((samplesPerPixel == 1 ? "MONOCHROME2 " : "RGB ").utf8)
    var file = preamble + [UInt8](repeating: 0, count: 128 - preamble.count) + Array("DICM".utf8)
    file += element(0x0002, 0x0010, "UI", syntax)
    file += element(0x0028, 0x0002, "US", unsigned(samplesPerPixel))
    file += element(0x0028, 0x0004, "CS", photometric)
    file += element(0x0028, 0x0010, "US", unsigned(rows))
    file += element(0x0028, 0x0011, "US", unsigned(columns))
    file += element(0x0028, 0x0100, "US", unsigned(8))
    file += element(0x0028, 0x0101, "US", unsigned(8))
    file += element(0x0028, 0x0102, "US", unsigned(7))
    file += element(0x0028, 0x0103, "US", unsigned(0))
    file += element(0x7FE0, 0x0010, "OB", [1, 2, 3, 4])
    return file
  }
}
