import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

final class SafeTensorsWriterTests: XCTestCase {
  private func readBack(_ writer: SafeTensorsWriter) throws -> SafeTensorsFile {
    try SafeTensorsFile(data: writer.data(), source: "written.safetensors")
  }

  func testFloat32RoundTripIsBitExact() throws {
    let values: [Float] = [
      0, -0.0, 1, -1.5, .pi, .greatestFiniteMagnitude, -.leastNormalMagnitude, .leastNonzeroMagnitude,
      .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), 1e-30, 123_456.789,
    ]
    var writer = SafeTensorsWriter()
    try writer.add(name: "values", shape: [values.count], values: values)
    let tensor = try readBack(writer).tensor(named: "values")
    XCTAssertEqual(tensor.dataType, .float32)
    XCTAssertEqual(tensor.shape, [values.count])
    assertBitwiseEqual(tensor.floats(), values)
  }

  func testFloat16RoundTripRoundsToNearestEven() throws {
    let values: [Float] = [
      1, 1.0 / 3.0, 65504, 65519, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 0x1p-25, 0x1.8p-24, 1e-10, -0.0,
      .infinity, -.infinity, 1 + 0x1p-11, 0.1,
    ]
    // Expected halves written out by hand (not computed by the code under test).
    let expected: [Float] = [
      1, 0.333251953125, 65504, 65504, .infinity, .infinity, -.infinity, 1023 * 0x1p-24, 0x1p-24, 0,
      2 * 0x1p-24, 0, -0.0, .infinity, -.infinity, 1, 0.0999755859375,
    ]
    var writer = SafeTensorsWriter()
    try writer.add(name: "h", shape: [values.count], values: values, as: .float16)
    try writer.add(name: "nan", shape: [], values: [.nan], as: .float16)
    let file = try readBack(writer)
    let tensor = try file.tensor(named: "h")
    XCTAssertEqual(tensor.dataType, .float16)
    XCTAssertEqual(tensor.byteCount, 2 * values.count)
    assertBitwiseEqual(tensor.floats(), expected)
    XCTAssertTrue(try file.tensor(named: "nan").floats()[0].isNaN)
  }

  func testBFloat16AndFloat64RoundTrip() throws {
    var writer = SafeTensorsWriter()
    try writer.add(name: "b", shape: [2, 2], values: [1, 3.14159265, -.infinity, 0x1p-133], as: .bfloat16)
    try writer.add(name: "d", shape: [2], values: [0.1, -.greatestFiniteMagnitude], as: .float64)
    let file = try readBack(writer)
    XCTAssertEqual(
      try file.tensor(named: "b").rawBytes, Data([0x80, 0x3F, 0x49, 0x40, 0x80, 0xFF, 0x01, 0x00]))
    assertBitwiseEqual(try file.tensor(named: "b").floats(), [1, 3.140625, -.infinity, 0x1p-133])
    XCTAssertEqual(try file.tensor(named: "d").dataType, .float64)
    assertBitwiseEqual(try file.tensor(named: "d").floats(), [0.1, -.greatestFiniteMagnitude])
  }

  func testIntegerTensorsRoundTripAndInt32RangeIsChecked() throws {
    var writer = SafeTensorsWriter()
    try writer.add(name: "labels", shape: [4], integers: [0, -7, .max, .min])
    try writer.add(name: "small", shape: [2], integers: [-2_147_483_648, 2_147_483_647], as: .int32)
    let file = try readBack(writer)
    XCTAssertEqual(try file.tensor(named: "labels").int64s(), [0, -7, .max, .min])
    XCTAssertEqual(try file.tensor(named: "small").dataType, .int32)
    XCTAssertEqual(try file.tensor(named: "small").int64s(), [-2_147_483_648, 2_147_483_647])
    XCTAssertThrowsError(try writer.add(name: "big", shape: [1], integers: [1 << 40], as: .int32)) { error in
      XCTAssertEqual(error as? WeightIOError, .unwritableDataType(tensor: "big", dataType: "I32"))
    }
  }

  func testHeaderIsPaddedToEightBytesAndKeepsMetadataNamesAndOrder() throws {
    let metadata = ["model": "efficientnet_b0", "odd \"key\"": "tab\tnew\nline \\ \u{1}\u{e9}\u{1F600}"]
    var writer = SafeTensorsWriter(metadata: metadata)
    let names = ["z.last-added-first", "a", "m\u{e9}tal \"quoted\"", "control\u{7}"]
    for (index, name) in names.enumerated() {
      try writer.add(name: name, shape: [1, index + 1], values: (0...index).map { Float($0) })
    }
    try writer.add(name: "scalar", shape: [], values: [7])
    try writer.add(name: "empty", shape: [2, 0], values: [])
    XCTAssertEqual(writer.names, names + ["scalar", "empty"])
    let data = writer.data()
    let headerLength = Int(LittleEndian.integer(data.prefix(8)))
    XCTAssertEqual((8 + headerLength) % 8, 0)
    XCTAssertEqual(data.count, 8 + headerLength + 4 * (1 + 2 + 3 + 4 + 1))
    let file = try readBack(writer)
    XCTAssertEqual(file.metadata, metadata)
    XCTAssertEqual(file.names, names + ["scalar", "empty"])
    XCTAssertEqual(try file.tensor(named: "control\u{7}").floats(), [0, 1, 2, 3])
    XCTAssertEqual(try file.tensor(named: "scalar").shape, [])
    XCTAssertEqual(try file.tensor(named: "scalar").floats(), [7])
    XCTAssertEqual(try file.tensor(named: "empty").shape, [2, 0])
  }

  func testEmptyWriterProducesAValidEmptyFile() throws {
    let file = try readBack(SafeTensorsWriter())
    XCTAssertEqual(file.count, 0)
    XCTAssertEqual(file.metadata, [:])
  }

  func testInvalidAdditionsThrowAndLeaveTheWriterUnchanged() throws {
    var writer = SafeTensorsWriter()
    try writer.add(name: "w", shape: [2], values: [1, 2])
    let cases: [(SafeTensorsWriter) throws -> Void] = [
      {
        var copy = $0; try copy.add(name: "w", shape: [1], values: [3])
      },
      {
        var copy = $0; try copy.add(name: "__metadata__", shape: [1], values: [3])
      },
      {
        var copy = $0; try copy.add(name: "v", shape: [2, 2], values: [1, 2, 3])
      },
      {
        var copy = $0; try copy.add(name: "v", shape: [-1, -3], values: [1, 2, 3])
      },
      {
        var copy = $0; try copy.add(name: "v", shape: [Int.max, 2], values: [])
      },
      {
        var copy = $0; try copy.add(name: "v", shape: [1], values: [1], as: .int8)
      },
      {
        var copy = $0; try copy.add(name: "v", shape: [1], integers: [1], as: .float32)
      },
    ]
    let expected: [WeightIOError] = [
      .invalidTensorName(tensor: "w", reason: "a tensor with this name was already added"),
      .invalidTensorName(tensor: "__metadata__", reason: "the name is reserved for metadata"),
      .shapeMismatch(tensor: "v", shape: [2, 2], valueCount: 3),
      .shapeMismatch(tensor: "v", shape: [-1, -3], valueCount: 3),
      .shapeMismatch(tensor: "v", shape: [Int.max, 2], valueCount: 0),
      .unwritableDataType(tensor: "v", dataType: "I8"),
      .unwritableDataType(tensor: "v", dataType: "F32"),
    ]
    for (add, error) in zip(cases, expected) {
      XCTAssertThrowsError(try add(writer)) { XCTAssertEqual($0 as? WeightIOError, error) }
    }
    XCTAssertEqual(writer.names, ["w"])
    XCTAssertEqual(try readBack(writer).tensor(named: "w").floats(), [1, 2])
  }

  func testWriteReplacesAnExistingFileEntirely() throws {
    let folder = try makeTemporaryFolder("WeightIOTests")
    let url = folder.appendingPathComponent("model.safetensors")
    try Data(repeating: 0x5A, count: 10_000).write(to: url)
    var writer = SafeTensorsWriter(metadata: ["epoch": "3"])
    try writer.add(name: "w", shape: [3], values: [1, 2, 3], as: .float16)
    try writer.write(to: url)
    XCTAssertEqual(try Data(contentsOf: url), writer.data())
    let file = try SafeTensorsFile(contentsOf: url)
    XCTAssertEqual(try file.tensor(named: "w").floats(), [1, 2, 3])
    XCTAssertEqual(file.metadata, ["epoch": "3"])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
  }

  func testWriteIntoAMissingFolderThrowsAndCreatesNothing() throws {
    let folder = try makeTemporaryFolder("WeightIOTests")
    let missing = folder.appendingPathComponent("missing")
    let url = missing.appendingPathComponent("model.safetensors")
    var writer = SafeTensorsWriter()
    try writer.add(name: "w", shape: [1], values: [1])
    XCTAssertThrowsError(try writer.write(to: url)) { error in
      guard case .writeFailed(let destination, _)? = error as? WeightIOError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(destination, url.path)
      XCTAssertTrue("\(error)".contains("model.safetensors"))
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
  }

  func testFailedRenameRemovesTheTemporaryFile() throws {
    // The destination is a non-empty folder, so the final rename fails after the data was written.
    let folder = try makeTemporaryFolder("WeightIOTests")
    let url = folder.appendingPathComponent("model.safetensors")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    try Data([1]).write(to: url.appendingPathComponent("keep"))
    var writer = SafeTensorsWriter()
    try writer.add(name: "w", shape: [1000], values: [Float](repeating: 1, count: 1000))
    XCTAssertThrowsError(try writer.write(to: url)) { error in
      guard case .writeFailed? = error as? WeightIOError else { return XCTFail("\(error)") }
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.path), ["keep"])
  }

  func testWriteIntoAReadOnlyFolderThrowsAndLeavesNothing() throws {
    let folder = try makeTemporaryFolder("WeightIOTests")
    let readOnly = folder.appendingPathComponent("read-only")
    try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: false)
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
    addTeardownBlock {
      try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path)
    }
    // The superuser may write anywhere; there the folder's permissions cannot make the write fail.
    let probe = readOnly.appendingPathComponent("probe")
    if FileManager.default.createFile(atPath: probe.path, contents: Data()) {
      try? FileManager.default.removeItem(at: probe)
      throw XCTSkip("running with permission to write into a read-only folder (superuser)")
    }
    var writer = SafeTensorsWriter()
    try writer.add(name: "w", shape: [1], values: [1])
    XCTAssertThrowsError(try writer.write(to: readOnly.appendingPathComponent("model.safetensors")))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: readOnly.path), [])
  }
}
