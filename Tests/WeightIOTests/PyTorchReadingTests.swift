import Foundation
import WeightIO
import XCTest

/// Reads the fixtures written by torch.save (see `Fixtures/pytorch/make_pytorch_fixtures.py`) and checks
/// every value against what the script put in.
final class PyTorchReadingTests: XCTestCase {
  private let smallNames = [
    "weight.f32", "matrix", "matrix.transposed", "matrix.row1.middle", "matrix.column2", "half", "brain",
    "double", "labels", "steps", "int32", "flags", "empty", "parameter",
  ]

  private func checkSmallDictionary(
    _ checkpoint: PyTorchCheckpoint, file: StaticString = #filePath, line: UInt = #line
  )
    throws
  {
    XCTAssertEqual(checkpoint.names, smallNames, file: file, line: line)
    XCTAssertNil(checkpoint.stateDictionaryKey, file: file, line: line)
    XCTAssertNil(checkpoint.removedPrefix, file: file, line: line)

    let weight = try checkpoint.tensor(named: "weight.f32")
    XCTAssertEqual(weight.dataType, .float32)
    XCTAssertEqual(weight.shape, [2, 3])
    assertBitwiseEqual(weight.floats(), [0, 1.5, -2.25, 4, 0.125, -0.0], file: file, line: line)

    // matrix = 0.5 · arange(12) as [3, 4]; its transpose is a [4, 3] view with strides (1, 4).
    let matrix = (0..<12).map { Float($0) * 0.5 }
    XCTAssertEqual(try checkpoint.tensor(named: "matrix").floats(), matrix, file: file, line: line)
    let transposed = try checkpoint.tensor(named: "matrix.transposed")
    XCTAssertEqual(transposed.shape, [4, 3], file: file, line: line)
    XCTAssertEqual(
      transposed.floats(), (0..<4).flatMap { column in (0..<3).map { row in matrix[row * 4 + column] } },
      file: file, line: line)
    // Views with a storage offset (5) and with a stride (4, offset 2) into the same storage.
    XCTAssertEqual(
      try checkpoint.tensor(named: "matrix.row1.middle").floats(), [2.5, 3], file: file, line: line)
    XCTAssertEqual(
      try checkpoint.tensor(named: "matrix.column2").floats(), [1, 3, 5], file: file, line: line)

    let half = try checkpoint.tensor(named: "half")
    XCTAssertEqual(half.dataType, .float16)
    let halfValues = half.floats()
    XCTAssertEqual(Array(halfValues[0..<5]), [1, -2, 65504, 0x1p-24, .infinity], file: file, line: line)
    XCTAssertTrue(halfValues[5].isNaN, file: file, line: line)
    let brain = try checkpoint.tensor(named: "brain")
    XCTAssertEqual(brain.dataType, .bfloat16)
    XCTAssertEqual(brain.floats(), [1, -3.140625, -.infinity, 0x1p-133], file: file, line: line)
    let double = try checkpoint.tensor(named: "double")
    XCTAssertEqual(double.dataType, .float64)
    XCTAssertEqual(double.floats(), [0.5, -.infinity], file: file, line: line)

    let labels = try checkpoint.tensor(named: "labels")
    XCTAssertEqual(labels.dataType, .int64)
    XCTAssertEqual(try labels.int64s(), [0, -1, 9_007_199_254_740_993], file: file, line: line)
    let steps = try checkpoint.tensor(named: "steps")
    XCTAssertEqual(steps.shape, [], file: file, line: line)
    XCTAssertEqual(try steps.int64s(), [7], file: file, line: line)
    XCTAssertEqual(
      try checkpoint.tensor(named: "int32").int64s(), [-5, 2_147_483_647], file: file, line: line)
    let flags = try checkpoint.tensor(named: "flags")
    XCTAssertEqual(flags.dataType, .bool)
    XCTAssertEqual(flags.floats(), [1, 0, 1], file: file, line: line)
    let empty = try checkpoint.tensor(named: "empty")
    XCTAssertEqual(empty.shape, [0, 3], file: file, line: line)
    XCTAssertEqual(empty.elementCount, 0, file: file, line: line)
    XCTAssertEqual(try checkpoint.tensor(named: "parameter").floats(), [1, 2], file: file, line: line)
  }

  func testZipFormatGivesEveryTensorWithItsTypeShapeAndValues() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: PyTorchFiles.url("small.zip.pth"))
    XCTAssertEqual(checkpoint.format, .zip)
    try checkSmallDictionary(checkpoint)
  }

  func testLegacyFormatGivesTheSameTensorsAsZip() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: PyTorchFiles.url("small.legacy.pth"))
    XCTAssertEqual(checkpoint.format, .legacy)
    try checkSmallDictionary(checkpoint)
  }

  func testPickleProtocol4WithFramesAndStackGlobalsReads() throws {
    try checkSmallDictionary(try PyTorchCheckpoint(contentsOf: PyTorchFiles.url("small.protocol4.pth")))
  }

  func testBigEndianStoragesAreSwappedToNativeValues() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: PyTorchFiles.url("small.bigendian.pth"))
    XCTAssertEqual(try checkpoint.tensor(named: "values").floats(), [1.5, -2, 0x1p-20])
    XCTAssertEqual(try checkpoint.tensor(named: "counts").int64s(), [1, 258, -3])
  }

  func testDeflatedEntriesAreRejectedWithAClearError() throws {
    let error = assertCheckpointFails(try PyTorchFiles.data("small.deflated.pth"), source: "deflated.pth")
    XCTAssertTrue(
      "\(error.map { "\($0)" } ?? "")".contains("is compressed (deflate)"), "\(String(describing: error))")
  }

  func testTrainCheckpointUnwrapsStateDictAndStripsDataParallelPrefix() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: PyTorchFiles.url("train_checkpoint.pth"))
    XCTAssertEqual(checkpoint.stateDictionaryKey, "state_dict")
    XCTAssertEqual(checkpoint.removedPrefix, "module.")
    XCTAssertEqual(checkpoint.names, ["conv.weight", "conv.bias"])
    XCTAssertEqual(try checkpoint.tensor(named: "conv.weight").floats(), [1, 2, 3, 4])
    XCTAssertEqual(try checkpoint.tensor(named: "conv.bias").floats(), [0.25, -0.25])
  }

  func testRequestedKeySelectsTheExponentialMovingAverage() throws {
    let checkpoint = try PyTorchCheckpoint(
      contentsOf: PyTorchFiles.url("train_checkpoint.pth"), stateDictionaryKey: "state_dict_ema")
    XCTAssertEqual(checkpoint.stateDictionaryKey, "state_dict_ema")
    XCTAssertEqual(try checkpoint.tensor(named: "conv.weight").floats(), [10, 20, 30, 40])
  }

  func testRequestedKeyThatIsNotAStateDictionaryNamesTheProblem() throws {
    let url = PyTorchFiles.url("train_checkpoint.pth")
    XCTAssertThrowsError(try PyTorchCheckpoint(contentsOf: url, stateDictionaryKey: "optimizer")) {
      XCTAssertEqual(
        "\($0)", "\(url.path): no state dict: under 'optimizer': entry 'state' holds a dict, not a tensor")
    }
    XCTAssertThrowsError(try PyTorchCheckpoint(contentsOf: url, stateDictionaryKey: "weights")) {
      XCTAssertTrue(
        "\($0)".contains("has no key 'weights' (its keys: 'epoch', 'arch', 'state_dict'"), "\($0)")
    }
  }

  func testUnsupportedGlobalIsNamedAndNeverExecuted() throws {
    for name in ["unsafe_global.zip.pth", "unsafe_global.legacy.pth"] {
      let url = PyTorchFiles.url(name)
      XCTAssertThrowsError(try PyTorchCheckpoint(contentsOf: url)) { error in
        XCTAssertEqual(error as? CheckpointError, .unsupportedGlobal(source: url.path, name: "os.system"))
        XCTAssertEqual(
          "\(error)",
          "unsupported global 'os.system' in \(url.path): checkpoints may only hold tensors (nothing was executed)"
        )
      }
    }
  }

  func testFormatIsRecognizedFromTheFirstBytes() throws {
    XCTAssertEqual(PyTorchCheckpoint.format(of: try PyTorchFiles.data("small.zip.pth")), .zip)
    XCTAssertEqual(PyTorchCheckpoint.format(of: try PyTorchFiles.data("small.legacy.pth")), .legacy)
    XCTAssertNil(PyTorchCheckpoint.format(of: try Data(contentsOf: TestFiles.small)))
    let error = assertCheckpointFails(try Data(contentsOf: TestFiles.small), source: "small.safetensors")
    XCTAssertTrue("\(String(describing: error))".contains("looks like a safetensors file"))
  }

  func testMissingFileIsAnErrorNamingIt() {
    XCTAssertThrowsError(try PyTorchCheckpoint(contentsOf: URL(fileURLWithPath: "/nonexistent/model.pth"))) {
      XCTAssertEqual("\($0)", "/nonexistent/model.pth: cannot read the file: no such file")
    }
  }

  /// Values computed once with `torch.load(path, weights_only=True)` (torch 2.13): the first four
  /// elements, the last one, and Σ value[i]·(i mod 13 + 1) over the row-major elements (math.fsum).
  func testLite0LegacyFileMatchesTorchLoad() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: try PyTorchFiles.lite0())
    XCTAssertEqual(checkpoint.format, .legacy)
    XCTAssertEqual(checkpoint.count, 296)
    XCTAssertEqual(checkpoint.names.filter { $0.hasSuffix("num_batches_tracked") }.count, 49)
    XCTAssertEqual(checkpoint.names.first, "_conv_stem.weight")
    XCTAssertEqual(checkpoint.names[100], "_blocks.5._bn1.running_var")
    XCTAssertEqual(checkpoint.names.last, "_fc.bias")
    let expected: [(String, [Int], [Float], Float, Double)] = [
      (
        "_conv_stem.weight", [32, 3, 3, 3], [-1.11033607, -1.30877042, -0.0101569146, 0.920811951],
        2.23517418e-08,
        -231.3461671299301
      ),
      (
        "_blocks.0._depthwise_conv.weight", [32, 1, 3, 3],
        [-0.169692859, 0.210257411, -0.032390371, -0.122588068],
        0, 26.26877361908555
      ),
      (
        "_blocks.15._project_conv.weight", [320, 1152, 1, 1],
        [0.0373827033, 0.029342927, -0.0282567888, -0.130341679], -0.0437409617, 508.7743274683453
      ),
      (
        "_fc.weight", [1000, 1280], [-0.0456104353, -0.0947087109, -0.0568414666, 0.0682388097], 0.0408579707,
        -3361.6085301922394
      ),
      (
        "_fc.bias", [1000], [0.0320539102, -0.0159857608, 0.00529073505, 0.058125142], 0.0313842967,
        -7.551597834288259
      ),
      (
        "_bn1.running_var", [1280], [9.7229681, 10.5831537, 10.9539938, 10.4742155], 11.0435686,
        95760.30950403214
      ),
    ]
    for (name, shape, first, last, checksum) in expected {
      let tensor = try checkpoint.tensor(named: name)
      XCTAssertEqual(tensor.dataType, .float32, name)
      XCTAssertEqual(tensor.shape, shape, name)
      let values = tensor.floats()
      XCTAssertEqual(Array(values.prefix(4)), first, name)
      XCTAssertEqual(values.last, last, name)
      var sum = 0.0
      for (index, value) in values.enumerated() { sum += Double(value) * Double(index % 13 + 1) }
      XCTAssertEqual(sum, checksum, accuracy: abs(checksum) * 1e-9, name)
    }
    let counter = try checkpoint.tensor(named: "_bn0.num_batches_tracked")
    XCTAssertEqual(counter.dataType, .int64)
    XCTAssertEqual(counter.shape, [])
    XCTAssertEqual(try counter.int64s(), [0])
  }
}
