import Foundation
import WeightIO
import XCTest

/// Each malformed header gives the specific `WeightIOError`, naming the file, instead of a crash.
final class SafeTensorsValidationTests: XCTestCase {
  private let source = "test.safetensors"

  /// A header with one tensor entry `entry` named "x" (the JSON text of its object).
  private func oneTensor(_ entry: String, dataByteCount: Int = 16) -> Data {
    makeSafeTensors(header: "{\"x\":\(entry)}", dataByteCount: dataByteCount)
  }

  func testFilesShorterThanTheLengthFieldAreTooShort() {
    for length in 0..<8 {
      XCTAssertEqual(
        assertReadFails(Data(repeating: 0, count: length)), .fileTooShort(source: source, byteCount: length))
    }
  }

  func testAbsurdHeaderLengthIsRejectedBeforeReading() {
    let data = makeSafeTensors(header: "{}", headerLength: 200_000_000)
    XCTAssertEqual(
      assertReadFails(data),
      .headerTooLarge(source: source, headerByteCount: 200_000_000, limit: 100_000_000))
    XCTAssertNotNil(assertReadFails(makeSafeTensors(header: "{}", headerLength: .max)))
  }

  func testHeaderLengthPastTheEndIsTruncation() {
    let data = makeSafeTensors(header: "{\"__metadata__\":{}}", headerLength: 1000)
    let error = assertReadFails(data, source: "model.safetensors")
    XCTAssertEqual(
      error, .truncatedHeader(source: "model.safetensors", headerByteCount: 1000, availableByteCount: 19))
    XCTAssertEqual(
      error?.description,
      "model.safetensors: truncated: header says 1,000 bytes but the file has 19 after the 8-byte length")
  }

  func testHeaderThatIsNotUTF8JSONObjectIsInvalid() {
    let headers: [[UInt8]] = [
      Array("".utf8), Array("[1, 2]".utf8), Array("\"x\"".utf8), Array("{".utf8), Array("{\"x\":}".utf8),
      Array("{} x".utf8), Array("{\"a\":1,}".utf8), Array("nul".utf8),
      [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x7B, 0x7D, 0x7D],  // {"\xFF":{}}
      [0x7B, 0x22, 0xC3, 0x22, 0x3A, 0x7B, 0x7D, 0x7D],  // truncated two-byte sequence
      Array("{\"\\ud800\":{}}".utf8),  // lone surrogate escape
    ]
    for header in headers {
      guard case .invalidHeader? = assertReadFails(makeSafeTensors(headerBytes: header)) else {
        return XCTFail("\(String(decoding: header, as: UTF8.self)) was not an invalid header")
      }
    }
  }

  func testDeeplyNestedJSONIsRejectedWithoutExhaustingTheStack() {
    let header = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
    guard case .invalidHeader(_, let reason)? = assertReadFails(makeSafeTensors(header: header)) else {
      return XCTFail("nesting was accepted")
    }
    XCTAssertTrue(reason.contains("nesting"), reason)
  }

  func testDuplicateTensorNameIsRejected() {
    let entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}"
    let data = makeSafeTensors(header: "{\"x\":\(entry),\"x\":\(entry)}", dataByteCount: 1)
    guard case .invalidHeader(_, let reason)? = assertReadFails(data) else { return XCTFail("accepted") }
    XCTAssertTrue(reason.contains("duplicate key 'x'"), reason)
  }

  func testEntriesMissingAFieldNameTheField() {
    let entries = [
      ("dtype", "{\"shape\":[4],\"data_offsets\":[0,16]}"),
      ("shape", "{\"dtype\":\"F32\",\"data_offsets\":[0,16]}"),
      ("data_offsets", "{\"dtype\":\"F32\",\"shape\":[4]}"),
    ]
    for (field, entry) in entries {
      XCTAssertEqual(
        assertReadFails(oneTensor(entry)),
        .invalidTensorEntry(source: source, tensor: "x", reason: "missing '\(field)'"))
    }
  }

  func testEntriesWithWrongJSONTypesAreInvalid() {
    let entries = [
      "5", "[]", "{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}",
      "{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,16]}",
      "{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}",
      "{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,16]}",
      "{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,16]}",
      "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":{}}",
      "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0]}",
      "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}",
      "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1.6e1]}",
      "{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,16]}",
    ]
    for entry in entries {
      guard case .invalidTensorEntry(_, "x", _)? = assertReadFails(oneTensor(entry)) else {
        return XCTFail("\(entry) was not an invalid entry")
      }
    }
  }

  func testNegativeDimensionIsInvalid() {
    let error = assertReadFails(oneTensor("{\"dtype\":\"F32\",\"shape\":[-2,-2],\"data_offsets\":[0,16]}"))
    XCTAssertEqual(
      error,
      .invalidTensorEntry(source: source, tensor: "x", reason: "shape [-2, -2] has a negative dimension -2"))
  }

  func testShapeWhoseProductOverflowsIsRejected() {
    for shape in ["[4611686018427387904,4]", "[3037000500,3037000500]", "[2305843009213693952]"] {
      let error = assertReadFails(oneTensor("{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,16]}"))
      guard case .shapeOverflow(_, "x", _)? = error else {
        return XCTFail("\(shape): \(String(describing: error))")
      }
    }
  }

  func testUnknownDataTypeIsUnsupported() {
    let error = assertReadFails(oneTensor("{\"dtype\":\"F8_E4M3\",\"shape\":[16],\"data_offsets\":[0,16]}"))
    XCTAssertEqual(error, .unsupportedDataType(source: source, tensor: "x", dataType: "F8_E4M3"))
    XCTAssertTrue(
      error?.description.hasPrefix("dtype F8_E4M3 of tensor 'x' in test.safetensors is not supported")
        ?? false)
  }

  func testReversedNegativeOrPastTheEndOffsetsAreOutOfBounds() {
    let cases: [(String, Int, Int)] = [("[16,0]", 16, 0), ("[-4,12]", -4, 12), ("[4084,4100]", 4084, 4100)]
    for (offsets, begin, end) in cases {
      let entry = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":\(offsets)}"
      XCTAssertEqual(
        assertReadFails(oneTensor(entry, dataByteCount: 4096)),
        .offsetsOutOfBounds(source: source, tensor: "x", begin: begin, end: end, dataByteCount: 4096))
    }
    let entry = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4084,4100]}"
    XCTAssertEqual(
      assertReadFails(oneTensor(entry, dataByteCount: 4096))?.description,
      "tensor 'x' in test.safetensors: data_offsets [4084, 4100] lie outside the 4,096-byte data section")
  }

  func testByteCountThatDoesNotMatchTheShapeIsRejected() {
    let error = assertReadFails(oneTensor("{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}"))
    XCTAssertEqual(
      error, .byteCountMismatch(source: source, tensor: "x", shape: [4], dataType: "F16", byteCount: 16))
  }

  func testOverlappingTensorsAreRejected() {
    let header =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
      + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}"
    XCTAssertEqual(
      assertReadFails(makeSafeTensors(header: header, dataByteCount: 16)),
      .overlappingTensors(source: source, first: "a", second: "b"))
    // A tensor nested inside a longer one overlaps too, even when a third sits in between in order.
    let nested =
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]},"
      + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]},"
      + "\"c\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[5,7]}}"
    XCTAssertEqual(
      assertReadFails(makeSafeTensors(header: nested, dataByteCount: 10)),
      .overlappingTensors(source: source, first: "a", second: "b"))
  }

  func testZeroSizedTensorsMaySitAnywhereAndScalarsHaveOneElement() throws {
    let header =
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
      + "\"empty\":{\"dtype\":\"F32\",\"shape\":[3,0,5],\"data_offsets\":[2,2]},"
      + "\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[4,5]}}   "
    let file = try SafeTensorsFile(data: makeSafeTensors(header: header, dataByteCount: 5), source: source)
    XCTAssertEqual(file.names, ["a", "empty", "s"])
    XCTAssertEqual(try file.tensor(named: "a").floats(), [0, 1, 2, 3])
    XCTAssertEqual(try file.tensor(named: "empty").elementCount, 0)
    XCTAssertEqual(try file.tensor(named: "s").int64s(), [4])
  }

  func testMetadataValuesMustBeStrings() {
    let cases = [
      ("{\"__metadata__\":{\"epoch\":3}}", "the value of 'epoch' is a number, not a string"),
      ("{\"__metadata__\":{\"a\":\"b\",\"c\":null}}", "the value of 'c' is null, not a string"),
      ("{\"__metadata__\":[\"a\"]}", "it is an array, not an object"),
    ]
    for (header, reason) in cases {
      XCTAssertEqual(
        assertReadFails(makeSafeTensors(header: header)), .invalidMetadata(source: source, reason: reason))
    }
  }

  func testEscapedNamesAndMetadataAreDecoded() throws {
    let header =
      "{\"__metadata__\":{\"k\\u00e9y\":\"line\\nbreak \\\"q\\\" \\ud83d\\ude00\"},"
      + "\"a\\/b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"
    let file = try SafeTensorsFile(data: makeSafeTensors(header: header, dataByteCount: 1), source: source)
    XCTAssertEqual(file.metadata, ["k\u{e9}y": "line\nbreak \"q\" \u{1F600}"])
    XCTAssertEqual(file.names, ["a/b"])
  }
}
