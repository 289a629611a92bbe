import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Hostile weight files, each built here: tensors whose strides describe terabytes from a few stored
/// bytes, impossible batch-norm statistics, images and truncated checkpoints given as weights. Each is
/// refused by the library with an error naming the file and the tensor, and by the tool without a
/// crash, a hang or a large allocation.
final class WeightFileHostileTests: XCTestCase {
  private var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: folder)
  }

  private var image: String { RepositoryPaths.samples.appendingPathComponent("chelsea.jpg").path }

  /// Writes `data` to `name` in the test's folder and returns its path.
  private func write(_ data: Data, _ name: String) throws -> String {
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
  }

  /// A legacy checkpoint whose timm stem weight has `shape` and `strides` over a one-element storage,
  /// next to a small block weight (so that the names are recognized as timm's).
  private func broadcastStem(shape: [Int], strides: [Int]) -> Data {
    var main = LegacyPickle()
    main.emptyDictionary()
    main.string("conv_stem.weight")
    main.tensor(key: "0", storageCount: 1, shape: shape, strides: strides)
    main.setItem()
    main.string("blocks.0.0.conv_dw.weight")
    main.tensor(key: "1", storageCount: 9, shape: [1, 1, 3, 3], strides: [9, 9, 3, 1])
    main.setItem()
    main.stop()
    return legacyCheckpoint(main: main, storages: [("0", [1]), ("1", [Float](repeating: 0.5, count: 9))])
  }

  // MARK: - Shapes and strides

  func testTerabyteBroadcastIsRefusedBeforeAnythingIsGathered() throws {
    let data = broadcastStem(shape: [1 << 40], strides: [0])
    XCTAssertLessThan(data.count, 4096)
    XCTAssertThrowsError(try PyTorchCheckpoint(data: data, source: "huge.pth")) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("conv_stem.weight") && text.contains("huge.pth"), text)
      XCTAssertTrue(text.contains("4,398,046,511,104 bytes"), text)
    }
    let path = try write(data, "huge.pth")
    try assertToolRefuses(["convert", path, path + ".safetensors"], naming: [path, "conv_stem.weight"])
    try assertToolRefuses(
      ["classify", image, "--model", "lite0", "--weights", path], naming: [path, "conv_stem.weight"])
  }

  func testSevenGigabyteStemIsRefusedAtOnce() throws {
    let data = broadcastStem(shape: [1 << 26, 3, 3, 3], strides: [0, 0, 0, 0])
    let start = Date()
    XCTAssertThrowsError(try PyTorchCheckpoint(data: data, source: "stem.pth")) { error in
      XCTAssertTrue("\(error)".contains("conv_stem.weight"), "\(error)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    let path = try write(data, "stem.pth")
    let outcome = try assertToolRefuses(
      ["classify", image, "--model", "lite0", "--weights", path], naming: [path, "conv_stem.weight"],
      deadline: 20)
    XCTAssertLessThan(outcome.seconds, 10, outcome.summary)
  }

  /// A broadcast within the absolute cap (1 GiB) is legitimate to read, but is never gathered: its shape
  /// is compared with the model's first, and several of them cost nothing.
  func testBroadcastUnderTheCapIsComparedWithTheModelBeforeItIsGathered() throws {
    let data = broadcastStem(shape: [1 << 28], strides: [0])
    let checkpoint = try PyTorchCheckpoint(data: data, source: "wide.pth")
    let stem = try checkpoint.tensor(named: "conv_stem.weight")
    XCTAssertTrue(stem.isStrided)
    XCTAssertEqual(stem.byteCount, StoredTensor.maximumGatheredByteCount)
    let path = try write(data, "wide.pth")
    let lite0 = try ModelRegistry.configuration(named: "lite0")
    XCTAssertThrowsError(try EfficientNet.load(configuration: lite0, contentsOf: URL(fileURLWithPath: path)))
    {
      guard case .shapeMismatch(_, let name, _, let expected, _)? = $0 as? CheckpointMappingError else {
        return XCTFail("\($0)")
      }
      XCTAssertEqual(name, "conv_stem.weight")
      XCTAssertEqual(expected, [32, 3, 3, 3])
    }
    try assertToolRefuses(
      ["classify", image, "--model", "lite0", "--weights", path],
      naming: [path, "conv_stem.weight", "[32, 3, 3, 3]"])
    try assertToolRefuses(["convert", path, path + ".safetensors"], naming: [path, "conv_stem.weight"])
  }

  func testSmallBroadcastStillReadsAsItsValues() throws {
    let data = broadcastStem(shape: [2, 3], strides: [0, 0])
    let stem = try PyTorchCheckpoint(data: data, source: "small.pth").tensor(named: "conv_stem.weight")
    XCTAssertTrue(stem.isStrided)
    XCTAssertEqual(stem.floats(), [Float](repeating: 1, count: 6))
    XCTAssertEqual(stem.rawBytes.count, 24)
  }

  // MARK: - Values

  /// Lite0's seeded weights as a legacy checkpoint, with `change` applied to the tensors first.
  private func lite0Checkpoint(_ change: (inout [String: [Float]]) -> Void) throws -> (Data, EfficientNet) {
    let model = EfficientNet(architecture: try ModelRegistry.configuration(named: "lite0").resolve(), seed: 1)
    var values = model.tensors.mapValues(\.scalars)
    change(&values)
    var main = LegacyPickle()
    main.emptyDictionary()
    var storages: [(String, [Float])] = []
    for (index, spec) in model.specs.enumerated() {
      main.string(spec.name)
      let strides = spec.shape.indices.map { spec.shape[($0 + 1)...].reduce(1, *) }
      main.tensor(
        key: "\(index)", storageCount: values[spec.name]!.count, shape: spec.shape, strides: strides)
      main.setItem()
      storages.append(("\(index)", values[spec.name]!))
    }
    main.stop()
    return (legacyCheckpoint(main: main, storages: storages), model)
  }

  func testNegativeRunningVarianceIsRefusedNamingTheTensorAndIndex() throws {
    let (data, _) = try lite0Checkpoint { $0["bn1.running_var"]![5] = -3 }
    let path = try write(data, "model.pth")
    let expected =
      "\(path): tensor bn1.running_var has a negative value -3 at index 5; batch-norm variances must be ≥ 0"
    XCTAssertThrowsError(try EfficientNet.load(contentsOf: URL(fileURLWithPath: path))) {
      XCTAssertEqual("\($0)", expected)
    }
    try assertToolRefuses(["classify", image, "--weights", path], naming: [expected])
  }

  func testNonFiniteWeightIsRefusedInEitherFormat() throws {
    let (data, model) = try lite0Checkpoint { $0["conv_head.weight"]![7] = .nan }
    let pyTorch = try write(data, "nan.pth")
    let lite0 = try ModelRegistry.configuration(named: "lite0")
    XCTAssertThrowsError(
      try EfficientNet.load(configuration: lite0, contentsOf: URL(fileURLWithPath: pyTorch))
    ) {
      XCTAssertEqual(
        $0 as? WeightValueError,
        .nonFinite(source: pyTorch, tensor: "conv_head.weight", index: 7, value: .nan))
    }
    try assertToolRefuses(
      ["classify", image, "--weights", pyTorch], naming: [pyTorch, "conv_head.weight", "NaN"])

    var broken = model
    var variance = model.tensors["bn2.running_var"]!
    variance.withUnsafeMutableBufferPointer { $0[0] = -.infinity }
    try broken.setTensor(variance, named: "bn2.running_var")
    let safeTensors = folder.appendingPathComponent("inf.safetensors")
    try broken.safeTensors().write(to: safeTensors)
    XCTAssertThrowsError(try EfficientNet.load(contentsOf: safeTensors)) {
      XCTAssertEqual(
        "\($0)",
        "\(safeTensors.path): tensor bn2.running_var holds -inf at index 0; weights must be finite numbers")
    }
    try assertToolRefuses(
      ["convert", safeTensors.path, safeTensors.path + ".out.safetensors"],
      naming: [safeTensors.path, "bn2.running_var", "-inf"])
  }

  // MARK: - Files that are not weights

  func testImageGivenAsWeightsIsNamedAsAnImage() throws {
    let url = URL(fileURLWithPath: image)
    XCTAssertThrowsError(try WeightFileFormat.of(contentsOf: url)) {
      XCTAssertEqual(
        $0 as? WeightIOError, .notAWeightFile(source: image, reason: "it starts like a JPEG image"))
    }
    XCTAssertThrowsError(try SafeTensorsFile(data: try Data(contentsOf: url), source: "cat.jpg")) {
      XCTAssertEqual(
        $0 as? WeightIOError, .notAWeightFile(source: "cat.jpg", reason: "it starts like a JPEG image"))
    }
    for arguments in [
      ["convert", image, folder.appendingPathComponent("x.safetensors").path],
      ["classify", image, "--weights", image],
    ] {
      let outcome = try assertToolRefuses(arguments, naming: [image, "not a weight file", "JPEG image"])
      XCTAssertFalse(outcome.error.contains("header length"), outcome.summary)
    }
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    XCTAssertEqual(FileSignature.foreignKind(of: png), "a PNG image")
    XCTAssertEqual(
      FileSignature.foreignKind(of: [0x1F, 0x8B, 8, 0]), "gzip-compressed data (decompress it first)")
    // A safetensors file whose header length happens to spell a magic number is still safetensors.
    XCTAssertNil(FileSignature.foreignKind(of: [0xFF, 0xD8, 0xFF, 0, 0, 0, 0, 0, UInt8(ascii: "{")]))
  }

  func testEveryTruncationOfALegacyCheckpointSaysSo() throws {
    let data = broadcastStem(shape: [2, 3], strides: [3, 1])
    for length in 1..<data.count {
      XCTAssertThrowsError(try PyTorchCheckpoint(data: data.prefix(length), source: "cut.pth")) { error in
        guard case .truncated(_, .legacy, _)? = error as? CheckpointError else {
          return XCTFail("\(length) bytes: \(error)")
        }
        XCTAssertTrue("\(error)".hasPrefix("cut.pth: a truncated PyTorch legacy checkpoint: "), "\(error)")
      }
    }
    for length in [1, 8, 40] {
      let path = try write(data.prefix(length), "cut\(length).pth")
      XCTAssertEqual(try WeightFileFormat.of(contentsOf: URL(fileURLWithPath: path)), .pyTorch(.legacy))
      let outcome = try assertToolRefuses(
        ["classify", image, "--weights", path], naming: [path, "a truncated PyTorch legacy checkpoint"])
      XCTAssertFalse(outcome.error.contains("header length"), outcome.summary)
    }
  }

  func testLegacyCheckpointOfProtocolFourIsRecognized() {
    // PROTO 4, FRAME of 13 bytes, then the magic number as LONG1.
    let head: [UInt8] = [0x80, 0x04, 0x95, 13, 0, 0, 0, 0, 0, 0, 0, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C]
    XCTAssertEqual(WeightFileFormat.of(Data(head)), .pyTorch(.legacy))
  }
}

/// The legacy format: the magic number, protocol 1001 and system information pickles, `main`, the
/// storage key list, then each storage's element count and little-endian float32 elements.
private func legacyCheckpoint(main: LegacyPickle, storages: [(key: String, values: [Float])]) -> Data {
  let header: [UInt8] =
    [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E] + [0x80, 0x02, 0x7D, 0x2E]
  var keys = LegacyPickle()
  keys.raw(0x5D, 0x28)  // EMPTY_LIST, MARK
  for storage in storages { keys.string(storage.key) }
  keys.raw(0x65, 0x2E)  // APPENDS, STOP
  var data = Data(header + main.bytes + keys.bytes)
  for storage in storages {
    data.append(contentsOf: LittleEndian.bytes(UInt64(storage.values.count)))
    storage.values.withUnsafeBytes { data.append(contentsOf: $0) }
  }
  return data
}

/// Writes the pickle opcodes of a state dict by hand, integers of any size included.
private struct LegacyPickle {
  var bytes: [UInt8] = [0x80, 0x02]

  mutating func raw(_ values: UInt8...) { bytes += values }
  mutating func emptyDictionary() { raw(0x7D) }
  mutating func setItem() { raw(0x73) }
  mutating func stop() { raw(0x2E) }

  mutating func string(_ text: String) {
    raw(0x58)
    bytes += LittleEndian.bytes(UInt32(text.utf8.count)) + Array(text.utf8)
  }

  mutating func global(_ module: String, _ name: String) {
    raw(0x63)
    bytes += Array("\(module)\n\(name)\n".utf8)
  }

  /// BININT for 32-bit values, LONG1 of 8 bytes beyond.
  mutating func integer(_ value: Int) {
    if let small = Int32(exactly: value) {
      raw(0x4A)
      bytes += LittleEndian.bytes(small)
    } else {
      raw(0x8A, 8)
      bytes += LittleEndian.bytes(Int64(value))
    }
  }

  mutating func integers(_ values: [Int]) {
    raw(0x28)  // MARK
    for value in values { integer(value) }
    raw(0x74)  // TUPLE
  }

  /// `_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', count, None), 0, shape, strides,
  /// False, OrderedDict())`, left on the stack.
  mutating func tensor(key: String, storageCount: Int, shape: [Int], strides: [Int]) {
    global("torch._utils", "_rebuild_tensor_v2")
    raw(0x28, 0x28)  // MARK (arguments), MARK (persistent id)
    string("storage")
    global("torch", "FloatStorage")
    string(key)
    string("cpu")
    integer(storageCount)
    raw(0x4E, 0x74, 0x51)  // NONE, TUPLE, BINPERSID
    integer(0)
    integers(shape)
    integers(strides)
    raw(0x89)  // NEWFALSE
    global("collections", "OrderedDict")
    raw(0x29, 0x52, 0x74, 0x52)  // EMPTY_TUPLE, REDUCE, TUPLE, REDUCE
  }
}
