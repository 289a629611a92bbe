import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Where the test files live.
enum TestFiles {
  /// `Tests/WeightIOTests/Fixtures`, made by `Fixtures/make_fixtures.py`.
  static let fixtures = RepositoryPaths.fixtures("WeightIOTests")

  /// `small.safetensors`: F32, F16, BF16, F64, integer and BOOL tensors with known values.
  static let small = fixtures.appendingPathComponent("small.safetensors")
}

/// Builds a safetensors file from a literal header and `dataByteCount` data bytes (value = index mod 256).
///
/// - Parameter headerLength: overrides the length field (by default the header's UTF-8 byte count).
func makeSafeTensors(header: String, dataByteCount: Int = 0, headerLength: UInt64? = nil) -> Data {
  makeSafeTensors(headerBytes: Array(header.utf8), dataByteCount: dataByteCount, headerLength: headerLength)
}

/// Builds a safetensors file from raw header bytes (which need not be valid UTF-8).
func makeSafeTensors(headerBytes: [UInt8], dataByteCount: Int = 0, headerLength: UInt64? = nil) -> Data {
  var data = Data(LittleEndian.bytes(headerLength ?? UInt64(headerBytes.count)))
  data.append(contentsOf: headerBytes)
  data.append(contentsOf: (0..<dataByteCount).map { UInt8(truncatingIfNeeded: $0) })
  return data
}

/// Asserts that two float arrays are equal bit for bit (so -0 differs from 0 and NaNs compare by pattern).
func assertBitwiseEqual(
  _ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(
    actual.map(\.bitPattern), expected.map(\.bitPattern), "\(actual) != \(expected)", file: file, line: line)
}
