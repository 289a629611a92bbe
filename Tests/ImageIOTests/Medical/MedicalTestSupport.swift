import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// One decodable file from `Fixtures/medical/medical.json` (written by `Scripts/make_medical_fixtures.py`
/// with pydicom).
struct MedicalFixture: Decodable {
  struct Window: Decodable {
    var center: Double
    var width: Double
    var function: String
    /// "file", "minimumMaximum" or "nominal".
    var from: String
  }

  var file: String
  var transferSyntax: String
  /// JPEG: pydicom decodes with Pillow's libjpeg, we with the system's; compare within ±1.
  var lossy: Bool
  var rows: Int
  var columns: Int
  var samplesPerPixel: Int
  var photometricInterpretation: String
  var bitsAllocated: Int
  var bitsStored: Int
  var pixelRepresentation: Int
  var numberOfFrames: Int
  var rescaleSlope: Double?
  var rescaleIntercept: Double?
  var windowCenter: Double?
  var windowWidth: Double?
  /// pydicom's `pixel_array` (first frame), little-endian `storedType` ("uint8", "int16", "uint16").
  var stored: String
  var storedType: String
  var storedMinimum: Int
  var storedMaximum: Int
  /// CRC-32 of the float32 little-endian rescaled values.
  var rescaledCRC32: UInt32
  var rescaledMinimum: Double
  var rescaledMaximum: Double
  var rescaledMean: Double
  /// The window the reference pipeline used.
  var window: Window
  /// uint8 `[H, W]` of the reference display pipeline; nil for colour (identity: equals `stored`).
  var windowed: String?
}

/// A file our reader must refuse.
struct RefusedMedicalFixture: Decodable {
  var file: String
  /// "unsupportedTransferSyntax", "unsupportedPixelFormat" or "truncated".
  var error: String
  var transferSyntax: String
  var transferSyntaxName: String
}

private struct MedicalManifest: Decodable {
  var pydicom: String
  var fixtures: [MedicalFixture]
  var refused: [RefusedMedicalFixture]
}

/// Paths and readers for `Tests/ImageIOTests/Fixtures/medical`.
enum MedicalFixtures {
  /// `Tests/ImageIOTests/Fixtures/medical`.
  static let directory = RepositoryPaths.fixtures("ImageIOTests", "medical")

  private static func manifest() throws -> MedicalManifest {
    let data = try Data(contentsOf: directory.appendingPathComponent("medical.json"))
    return try JSONDecoder().decode(MedicalManifest.self, from: data)
  }

  /// The decodable fixtures.
  static func decodable() throws -> [MedicalFixture] { try manifest().fixtures }

  /// The fixtures that must be refused.
  static func refused() throws -> [RefusedMedicalFixture] { try manifest().refused }

  /// The decodable fixture stored as `file`.
  static func named(_ file: String) throws -> MedicalFixture {
    guard let fixture = try decodable().first(where: { $0.file == file }) else {
      throw XCTSkip("no fixture \(file) in medical.json")
    }
    return fixture
  }

  static func url(_ file: String) -> URL { directory.appendingPathComponent(file) }

  static func data(_ file: String) throws -> Data { try Data(contentsOf: url(file)) }

  /// A `storedType` raw file as Int32 values.
  static func storedValues(_ fixture: MedicalFixture) throws -> [Int32] {
    let bytes = [UInt8](try data(fixture.stored))
    switch fixture.storedType {
    case "uint8": return bytes.map { Int32($0) }
    case "uint16", "int16":
      return LittleEndian.uint16s(bytes).map { raw in
        fixture.storedType == "int16" ? Int32(Int16(bitPattern: raw)) : Int32(raw)
      }
    default:
      XCTFail("unknown stored type \(fixture.storedType)")
      return []
    }
  }
}

/// Builds small DICOM files element by element, little endian, for tests of cases no fixture covers.
struct DICOMBuilder {
  private(set) var bytes: [UInt8] = []
  let explicit: Bool

  /// A builder for a data set in explicit or implicit VR.
  init(explicit: Bool) { self.explicit = explicit }

  static func uint16(_ value: Int) -> [UInt8] { LittleEndian.bytes(UInt16(truncatingIfNeeded: value)) }

  static func uint32(_ value: UInt32) -> [UInt8] { LittleEndian.bytes(value) }

  /// The header of an element; `length` nil is undefined (0xFFFFFFFF).
  mutating func header(_ group: Int, _ element: Int, vr: String, length: Int?) {
    bytes += Self.uint16(group) + Self.uint16(element)
    let encodedLength = length.map { UInt32($0) } ?? 0xFFFF_FFFF
    if explicit && group != 0xFFFE {
      bytes += Array(vr.utf8)
      if ["OB", "OW", "SQ", "UN", "UT"].contains(vr) {
        bytes += [0, 0] + Self.uint32(encodedLength)
      } else {
        bytes += Self.uint16(Int(encodedLength))
      }
    } else {
      bytes += Self.uint32(encodedLength)
    }
  }

  /// An element with a value (padded to even length with a space for text, zero for binary).
  mutating func element(_ group: Int, _ element: Int, vr: String, _ value: [UInt8]) {
    var padded = value
    if padded.count % 2 == 1 { padded.append(["UI", "OB", "US"].contains(vr) ? 0 : 0x20) }
    header(group, element, vr: vr, length: padded.count)
    bytes += padded
  }

  mutating func unsigned(_ group: Int, _ element: Int, _ value: Int) {
    self.element(group, element, vr: "US", Self.uint16(value))
  }

  mutating func text(_ group: Int, _ element: Int, vr: String, _ value: String) {
    self.element(group, element, vr: vr, Array(value.utf8))
  }

  mutating func append(_ raw: [UInt8]) { bytes += raw }

  /// A Part-10 file: preamble, "DICM", a file meta group naming `transferSyntax`, then `dataSet`.
  static func part10(transferSyntax: String, dataSet: [UInt8]) -> Data {
    var meta = DICOMBuilder(explicit: true)
    meta.text(0x0002, 0x0010, vr: "UI", transferSyntax)
    var groupLength = DICOMBuilder(explicit: true)
    groupLength.element(0x0002, 0x0000, vr: "UL", uint32(UInt32(meta.bytes.count)))
    return Data(
      [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength.bytes + meta.bytes + dataSet)
  }

  /// Image attributes for a `rows`×`columns` monochrome 16-bit image (explicit or implicit).
  mutating func monochromeAttributes(rows: Int, columns: Int, bitsStored: Int = 16, signed: Bool = false) {
    unsigned(0x0028, 0x0002, 1)
    text(0x0028, 0x0004, vr: "CS", "MONOCHROME2")
    unsigned(0x0028, 0x0010, rows)
    unsigned(0x0028, 0x0011, columns)
    unsigned(0x0028, 0x0100, 16)
    unsigned(0x0028, 0x0101, bitsStored)
    unsigned(0x0028, 0x0102, bitsStored - 1)
    unsigned(0x0028, 0x0103, signed ? 1 : 0)
  }

  /// Native 16-bit Pixel Data.
  mutating func pixelData16(_ values: [UInt16]) {
    element(0x7FE0, 0x0010, vr: "OW", values.flatMap { Self.uint16(Int($0)) })
  }
}
