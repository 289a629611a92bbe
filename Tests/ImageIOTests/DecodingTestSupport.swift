import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// One fixture from `Fixtures/decoding/manifest.json` (written by `make_decoding_fixtures.py`).
struct DecodingFixture: Decodable {
  /// Short name, e.g. "jpeg_baseline_420".
  var name: String
  /// The encoded file, in `Fixtures/decoding`.
  var file: String
  /// The EXIF orientation written into the file (1 when none).
  var orientation: Int
  /// What the file exercises.
  var note: String
  /// Raw `[H, W, C]` samples `ImageDecoder.decode` must return (uint8, or uint16 little-endian).
  var native: String
  /// Shape and depth of `native` (orientation applied).
  var width: Int
  var height: Int
  var channels: Int
  var bitDepth: Int
  /// Raw `[H, W, 3]` uint8 of Pillow's `Image.open(path).convert("RGB")` (no orientation applied).
  var rgb8: String
}

/// Pillow's decode of a real image outside the fixtures folder, summarised by a CRC-32.
struct SharedImageChecksum: Decodable {
  var width: Int
  var height: Int
  /// Pillow's mode: "RGB" (photos, after convert("RGB")) or "L" (chest X-rays, as opened).
  var mode: String
  /// CRC-32 of the `[H, W, C]` uint8 samples.
  var crc32: UInt32
}

private struct DecodingManifest: Decodable {
  var pillow: String
  var pillowLibjpegTurbo: String?
  var fixtures: [DecodingFixture]
  var sharedImageChecksums: [String: SharedImageChecksum]
}

/// Paths and readers for the decoding fixtures.
enum DecodingFixtures {
  /// `Tests/ImageIOTests/Fixtures/decoding`.
  static let directory = RepositoryPaths.fixtures("ImageIOTests", "decoding")

  private static func manifest() throws -> DecodingManifest {
    let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
    return try JSONDecoder().decode(DecodingManifest.self, from: data)
  }

  /// All fixtures listed in the manifest.
  static func all() throws -> [DecodingFixture] { try manifest().fixtures }

  /// Pillow's decode checksums of the shared photos and chest X-rays, keyed by their path under
  /// `/work/shared` (see `SharedData.relocated`).
  static func sharedImageChecksums() throws -> [String: SharedImageChecksum] {
    try manifest().sharedImageChecksums
  }

  /// The fixtures whose name starts with `prefix`; fails the test when there are none.
  static func named(
    _ prefix: String, file: StaticString = #filePath, line: UInt = #line
  ) throws -> [DecodingFixture] {
    let matching = try all().filter { $0.name.hasPrefix(prefix) }
    XCTAssertFalse(matching.isEmpty, "no fixture named \(prefix)*", file: file, line: line)
    return matching
  }

  /// The URL of a fixture file.
  static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

  /// The bytes of a fixture file.
  static func data(_ file: String) throws -> Data { try Data(contentsOf: url(file)) }

  /// A raw uint8 reference file.
  static func samples8(_ file: String) throws -> [UInt8] { [UInt8](try data(file)) }

  /// A raw little-endian uint16 reference file.
  static func samples16(_ file: String) throws -> [UInt16] { LittleEndian.uint16s(try samples8(file)) }

  /// `*.jpg` and `*.png` files in `../shared/images`, sorted; empty when the folder is absent (callers
  /// skip then).
  static func sharedImages() -> [URL] {
    guard let folder = SharedData.url("images") else { return [] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
      .map { folder.appendingPathComponent($0) }
  }
}

/// Byte-level helpers for building and inspecting test files.
enum DecodingTestBytes {
  /// A PNG chunk: length, type, data, CRC.
  static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    let crc = CRC32.checksum(typeBytes + data)
    return BigEndian.bytes(UInt32(data.count)) + typeBytes + data + BigEndian.bytes(crc)
  }

  /// Byte offset of the first JPEG marker `FF marker` in the header (before the first scan), or nil.
  static func jpegSegmentOffset(_ bytes: [UInt8], marker: UInt8) -> Int? {
    var position = 2
    while position + 4 <= bytes.count, bytes[position] == 0xFF {
      if bytes[position + 1] == marker { return position }
      if bytes[position + 1] == 0xDA { return nil }
      position += 2 + BigEndian.integer(bytes[(position + 2)..<(position + 4)])
    }
    return nil
  }
}
