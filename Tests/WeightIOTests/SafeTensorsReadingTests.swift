import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Reads files written by the Python `safetensors` library (Fixtures/make_fixtures.py, and the shared
/// reference weights written by PyTorch) and checks every value the script put there.
final class SafeTensorsReadingTests: XCTestCase {
  private func small() throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: TestFiles.small)
  }

  func testFixtureMetadataMatchesWhatPythonWrote() throws {
    XCTAssertEqual(
      try small().metadata,
      [
        "format": "pt", "note": "h\u{e9}llo \u{2014} \u{fc}n\u{ef}code \u{2713}",
        "quote": "a \"quoted\" \\ value",
      ])
  }

  func testFixtureNamesAreInDataOffsetOrder() throws {
    let file = try small()
    XCTAssertEqual(
      file.names,
      [
        "labels", "double", "empty", "scalar", "weights.f32", "small.i32", "weights.bf16", "weights.f16",
        "small.i16", "small.i8", "small.u8", "flags",
      ])
    XCTAssertEqual(file.count, 12)
  }

  func testFixtureFloat32ValuesAreBitExact() throws {
    let tensor = try small().tensor(named: "weights.f32")
    XCTAssertEqual(tensor.dataType, .float32)
    XCTAssertEqual(tensor.shape, [2, 3])
    XCTAssertEqual(tensor.elementCount, 6)
    XCTAssertEqual(tensor.byteCount, 24)
    assertBitwiseEqual(tensor.floats(), [0, 1.5, -2.25, 0x1p-140, .greatestFiniteMagnitude, -0.0])
  }

  func testFixtureFloat16ValuesWidenExactly() throws {
    let tensor = try small().tensor(named: "weights.f16")
    XCTAssertEqual(tensor.dataType, .float16)
    let values = tensor.floats()
    assertBitwiseEqual(Array(values.prefix(7)), [1, -2, 65504, 0x1p-24, 0x1p-14, .infinity, -.infinity])
    XCTAssertTrue(values[7].isNaN)
  }

  func testFixtureBFloat16ValuesMatchKnownBitPatterns() throws {
    let tensor = try small().tensor(named: "weights.bf16")
    XCTAssertEqual(tensor.dataType, .bfloat16)
    XCTAssertEqual(tensor.shape, [2, 2])
    // Bit patterns 0x3F80, 0xC049, 0x7F80, 0x0001.
    assertBitwiseEqual(tensor.floats(), [1, -3.140625, .infinity, 0x1p-133])
    XCTAssertEqual(tensor.rawBytes, Data([0x80, 0x3F, 0x49, 0xC0, 0x80, 0x7F, 0x01, 0x00]))
  }

  func testFixtureInt64LabelsAreExact() throws {
    let tensor = try small().tensor(named: "labels")
    XCTAssertEqual(tensor.dataType, .int64)
    XCTAssertEqual(try tensor.int64s(), [0, 3, 9, -1, 9_007_199_254_740_993])
    XCTAssertEqual(Array(tensor.floats().prefix(4)), [0, 3, 9, -1])
  }

  func testFixtureScalarHasOneElementAndZeroSizedTensorHasNone() throws {
    let file = try small()
    let scalar = try file.tensor(named: "scalar")
    XCTAssertEqual(scalar.shape, [])
    XCTAssertEqual(scalar.elementCount, 1)
    XCTAssertEqual(scalar.floats(), [42.5])
    let empty = try file.tensor(named: "empty")
    XCTAssertEqual(empty.shape, [0, 3])
    XCTAssertEqual(empty.elementCount, 0)
    XCTAssertEqual(empty.byteCount, 0)
    XCTAssertEqual(empty.floats(), [])
  }

  func testFixtureIntegerAndBooleanTypesConvertToFloatsAndInt64s() throws {
    let file = try small()
    let expected: [(String, TensorDataType, [Int64])] = [
      ("small.i32", .int32, [-5, 0, 2_147_483_647]), ("small.i16", .int16, [-32768, 32767]),
      ("small.i8", .int8, [-128, 0, 127]), ("small.u8", .uint8, [0, 128, 255]), ("flags", .bool, [1, 0, 1]),
    ]
    for (name, dataType, values) in expected {
      let tensor = try file.tensor(named: name)
      XCTAssertEqual(tensor.dataType, dataType, name)
      XCTAssertEqual(try tensor.int64s(), values, name)
      XCTAssertEqual(tensor.floats(), values.map { Float($0) }, name)
    }
  }

  func testFloat64IsRoundedToNearestFloatAndOverflowsToInfinity() throws {
    let tensor = try small().tensor(named: "double")
    XCTAssertEqual(tensor.dataType, .float64)
    assertBitwiseEqual(tensor.floats(), [0.5, -.infinity])
  }

  func testCopyFloatsAndRawBytesViewTheSameData() throws {
    let tensor = try small().tensor(named: "weights.f32")
    var copied = [Float](repeating: .nan, count: 6)
    copied.withUnsafeMutableBufferPointer { tensor.copyFloats(into: $0) }
    assertBitwiseEqual(copied, tensor.floats())
    let raw = tensor.withUnsafeRawBytes { Array($0) }
    XCTAssertEqual(raw, Array(tensor.rawBytes))
    XCTAssertEqual(Array(raw[4..<8]), [0x00, 0x00, 0xC0, 0x3F])  // 1.5 little-endian
  }

  func testDataSliceWithNonZeroStartIndexReadsTheSameValues() throws {
    let bytes = try Data(contentsOf: TestFiles.small)
    let padded = Data(repeating: 0xAB, count: 13) + bytes
    let file = try SafeTensorsFile(data: padded[13...], source: "slice")
    assertBitwiseEqual(
      try file.tensor(named: "weights.f32").floats(), try small().tensor(named: "weights.f32").floats())
    XCTAssertEqual(try file.tensor(named: "labels").int64s(), [0, 3, 9, -1, 9_007_199_254_740_993])
  }

  func testInt64sOfAFloatTensorThrowsNamingTensorAndFile() throws {
    let tensor = try small().tensor(named: "weights.f16")
    XCTAssertThrowsError(try tensor.int64s()) { error in
      XCTAssertEqual(
        error as? WeightIOError,
        .notAnIntegerTensor(source: TestFiles.small.path, tensor: "weights.f16", dataType: "F16"))
      XCTAssertTrue("\(error)".contains("small.safetensors"))
    }
  }

  func testMissingTensorErrorNamesTheTensorAndTheFile() throws {
    let file = try small()
    XCTAssertNil(file["blocks.0.0.conv_dw.weight"])
    XCTAssertThrowsError(try file.tensor(named: "blocks.0.0.conv_dw.weight")) { error in
      let description = "\(error)"
      XCTAssertTrue(description.contains("'blocks.0.0.conv_dw.weight'"), description)
      XCTAssertTrue(description.contains("small.safetensors"), description)
    }
  }

  func testMissingFileThrowsUnreadableFileNamingThePath() {
    let url = TestFiles.fixtures.appendingPathComponent("does-not-exist.safetensors")
    XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
      guard case .unreadableFile(let source, _)? = error as? WeightIOError else {
        return XCTFail("unexpected \(error)")
      }
      XCTAssertEqual(source, url.path)
      XCTAssertTrue("\(error)".contains("does-not-exist.safetensors"))
      XCTAssertTrue("\(error)".hasSuffix("cannot read the file: no such file"), "\(error)")
    }
  }

  func testFolderInsteadOfFileThrowsUnreadableFile() {
    XCTAssertThrowsError(try SafeTensorsFile(contentsOf: TestFiles.fixtures)) { error in
      XCTAssertEqual(
        error as? WeightIOError,
        .unreadableFile(source: TestFiles.fixtures.path, reason: "it is a folder, not a file"))
    }
  }

  func testEmptyFileOnDiskIsTooShort() throws {
    let url = try makeTemporaryFolder("WeightIOTests").appendingPathComponent("empty.safetensors")
    try Data().write(to: url)
    XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url)) { error in
      XCTAssertEqual(error as? WeightIOError, .fileTooShort(source: url.path, byteCount: 0))
    }
  }

  /// The shared reference file `name` (skipped when absent), after checking how many tensors it holds,
  /// their total element count (numel summed in Python) and that all are stored as `dataType`.
  private func referenceFile(
    _ name: String, tensors: Int, elements: Int, dataType: TensorDataType, file: StaticString = #filePath,
    line: UInt = #line
  ) throws -> SafeTensorsFile {
    let reference = try SafeTensorsFile(contentsOf: try SharedData.require("reference/\(name)"))
    XCTAssertEqual(reference.count, tensors, file: file, line: line)
    XCTAssertEqual(reference.tensors.reduce(0) { $0 + $1.elementCount }, elements, file: file, line: line)
    XCTAssertTrue(reference.tensors.allSatisfy { $0.dataType == dataType }, file: file, line: line)
    return reference
  }

  func testTinyReferenceWeightsHaveTheExpectedTensors() throws {
    let file = try referenceFile(
      "tiny_b0.weights.safetensors", tensors: 140, elements: 131_190, dataType: .float32)
    XCTAssertEqual(file.metadata["model"], "efficientnet_b0")
    XCTAssertEqual(file.metadata["width"], "0.25")
    XCTAssertEqual(try file.tensor(named: "conv_stem.weight").shape, [8, 3, 3, 3])
    XCTAssertEqual(try file.tensor(named: "classifier.weight").shape, [10, 320])
    XCTAssertEqual(try file.tensor(named: "blocks.0.0.conv_dw.weight").shape, [8, 1, 3, 3])
    // Values printed by Python (float32, exact).
    XCTAssertEqual(
      Array(try file.tensor(named: "conv_stem.weight").floats().prefix(2)),
      [0.26013895869255066, -0.17959056794643402])
  }

  func testFullB0ReferenceWeightsDecodeFloat16() throws {
    let file = try referenceFile(
      "b0.weights.safetensors", tensors: 311, elements: 5_330_564, dataType: .float16)
    let stem = try file.tensor(named: "conv_stem.weight")
    XCTAssertEqual(stem.shape, [32, 3, 3, 3])
    XCTAssertEqual(
      Array(stem.floats().prefix(4)),
      [0.06427001953125, -0.0243072509765625, -0.0262603759765625, -0.09130859375])
    // Sum over the whole tensor, computed with NumPy in float64 from the same F16 values.
    let sum = stem.floats().reduce(0.0) { $0 + Double($1) }
    XCTAssertEqual(sum, 0.7364285588264465, accuracy: 1e-9)
    let classifier = try file.tensor(named: "classifier.weight")
    XCTAssertEqual(classifier.shape, [1000, 1280])
    XCTAssertEqual(classifier.floats().reduce(0.0) { $0 + Double($1) }, 8.791703999042511, accuracy: 1e-6)
  }
}
