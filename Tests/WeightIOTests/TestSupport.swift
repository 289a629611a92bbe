import Foundation
import WeightIO
import XCTest

/// Where the test files live.
enum TestFiles {
  /// `Tests/WeightIOTests/Fixtures`, made by `Fixtures/make_fixtures.py`.
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  /// `small.safetensors`: F32, F16, BF16, F64, integer and BOOL tensors with known values.
  static let small = fixtures.appendingPathComponent("small.safetensors")

  /// The shared reference folder, when present: `$EFFICIENTNET_REFERENCE_DIR`, else `shared/reference`
  /// beside the package root, else `/work/shared/reference`.
  static func reference(_ name: String) -> URL? {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    var folders = [
      packageRoot.appendingPathComponent("shared/reference"),
      URL(fileURLWithPath: "/work/shared/reference"),
    ]
    if let override = ProcessInfo.processInfo.environment["EFFICIENTNET_REFERENCE_DIR"] {
      folders.insert(URL(fileURLWithPath: override), at: 0)
    }
    return folders.map { $0.appendingPathComponent(name) }
      .first { FileManager.default.fileExists(atPath: $0.path) }
  }

  /// A fresh empty folder under the system temporary folder, removed when the test ends.
  static func temporaryFolder(for testCase: XCTestCase) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("WeightIOTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
  }
}

/// Builds a safetensors file from a literal header and `dataByteCount` data bytes (value = index mod 256).
///
/// - Parameter headerLength: overrides the length field (by default the header's UTF-8 byte count).
func makeSafeTensors(header: String, dataByteCount: Int = 0, headerLength: UInt64? = nil) -> Data {
  makeSafeTensors(headerBytes: Array(header.utf8), dataByteCount: dataByteCount, headerLength: headerLength)
}

/// Builds a safetensors file from raw header bytes (which need not be valid UTF-8).
func makeSafeTensors(headerBytes: [UInt8], dataByteCount: Int = 0, headerLength: UInt64? = nil) -> Data {
  var data = Data()
  withUnsafeBytes(of: (headerLength ?? UInt64(headerBytes.count)).littleEndian) {
    data.append(contentsOf: $0)
  }
  data.append(contentsOf: headerBytes)
  data.append(contentsOf: (0..<dataByteCount).map { UInt8(truncatingIfNeeded: $0) })
  return data
}

/// Asserts that reading `data` throws a `WeightIOError` whose description names `source`, and returns it.
@discardableResult
func assertReadFails(
  _ data: Data, source: String = "test.safetensors", file: StaticString = #filePath, line: UInt = #line
) -> WeightIOError? {
  do {
    let parsed = try SafeTensorsFile(data: data, source: source)
    XCTFail("expected an error, but read \(parsed.count) tensors", file: file, line: line)
    return nil
  } catch let error as WeightIOError {
    XCTAssertTrue(
      error.description.contains(source), "'\(error)' does not name \(source)", file: file, line: line)
    return error
  } catch {
    XCTFail("expected a WeightIOError, got \(error)", file: file, line: line)
    return nil
  }
}

/// A small deterministic random number generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var mixed = state
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }
}

/// Asserts that two float arrays are equal bit for bit (so -0 differs from 0 and NaNs compare by pattern).
func assertBitwiseEqual(
  _ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(
    actual.map(\.bitPattern), expected.map(\.bitPattern), "\(actual) != \(expected)", file: file, line: line)
}
