import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Broken, truncated and hostile checkpoints: every one gives a `CheckpointError` naming the file,
/// never a crash or a hang.
final class PyTorchCorruptionTests: XCTestCase {
  private let fixtures = ["small.zip.pth", "small.legacy.pth", "train_checkpoint.pth", "small.protocol4.pth"]

  func testEveryTruncationIsAnErrorNamingTheFile() throws {
    for name in fixtures {
      let whole = try PyTorchFiles.data(name)
      for length in 0..<whole.count {
        assertCheckpointFails(whole.prefix(length), source: "\(name)[..<\(length)]")
      }
    }
  }

  func testFlippedBytesEitherFailCleanlyOrLoad() throws {
    for name in fixtures {
      let whole = try PyTorchFiles.data(name)
      var loaded = 0
      for offset in 0..<whole.count {
        var copy = whole
        copy[offset] ^= offset % 2 == 0 ? 0xFF : 0x01  // every bit, or just the lowest
        do {
          _ = try PyTorchCheckpoint(data: copy, source: name)
          loaded += 1
        } catch let error as CheckpointError {
          XCTAssertTrue(error.description.contains(name), "\(error)")
        }
      }
      // Flips inside raw tensor data, padding and unread entries still load.
      XCTAssertGreaterThan(loaded, 0, name)
    }
  }

  func testFlipInsideTensorDataLoadsWithOnlyThatValueChanged() throws {
    for name in ["small.zip.pth", "small.legacy.pth"] {
      var data = try PyTorchFiles.data(name)
      // "weight.f32" = [0, 1.5, -2.25, 4, 0.125, -0] as little-endian float32.
      let pattern = Data(LittleEndian.bytes([Float(0), 1.5, -2.25, 4, 0.125, -0.0]))
      let range = try XCTUnwrap(data.range(of: pattern), name)
      data[range.lowerBound + 7] ^= 0x80  // the sign bit of 1.5
      let checkpoint = try PyTorchCheckpoint(data: data, source: name)
      XCTAssertEqual(
        try checkpoint.tensor(named: "weight.f32").floats(), [0, -1.5, -2.25, 4, 0.125, 0], name)
    }
  }

  func testTensorReachingPastItsStorageIsRejected() {
    let main = stateDictionaryPickle { builder in
      builder.string("weight")
      builder.tensor(key: "0", count: 6, offset: 1, size: [2, 3], stride: [3, 1])
      builder.setItem()
    }
    let error = assertCheckpointFails(makeLegacyFile(main: main, storages: [("0", [1, 2, 3, 4, 5, 6])]))
    XCTAssertEqual(
      error?.description,
      "tensor 'weight' in test.pth: size [2, 3], stride [3, 1] and offset 1 reach element 6, but its storage "
        + "holds 6 elements")
  }

  func testStridedViewOfALegacyStorageViewIsGathered() throws {
    // A storage view (legacy view metadata): elements 2..<8 of an 8-element block, read as [3, 2] with
    // strides (1, 3), i.e. the transpose of [[2, 3, 4], [5, 6, 7]].
    let main = stateDictionaryPickle { builder in
      builder.string("view")
      builder.tensor(key: "0", count: 8, offset: 0, size: [3, 2], stride: [1, 3], view: ("v", 2, 6))
      builder.setItem()
    }
    let checkpoint = try PyTorchCheckpoint(
      data: makeLegacyFile(main: main, storages: [("0", [0, 1, 2, 3, 4, 5, 6, 7])]), source: "view.pth")
    XCTAssertEqual(try checkpoint.tensor(named: "view").floats(), [2, 5, 3, 6, 4, 7])
  }

  func testAbsurdSizesAreRejectedWithoutAllocating() {
    let main = stateDictionaryPickle { builder in
      builder.string("huge")
      builder.tensor(
        key: "0", count: 4, offset: 0, size: [Int32.max, Int32.max, Int32.max], stride: [0, 0, 0])
      builder.setItem()
    }
    let error = assertCheckpointFails(makeLegacyFile(main: main, storages: [("0", [1, 2, 3, 4])]))
    XCTAssertTrue(
      "\(String(describing: error))".contains("has too many elements"), "\(String(describing: error))")
  }

  func testStorageCountMismatchAndMissingDataAreRejected() {
    let main = stateDictionaryPickle { builder in
      builder.string("weight")
      builder.tensor(key: "0", count: 4, offset: 0, size: [4], stride: [1])
      builder.setItem()
    }
    let wrongCount = assertCheckpointFails(makeLegacyFile(main: main, storages: [("0", [1, 2, 3])]))
    XCTAssertEqual(
      wrongCount?.description, "test.pth: storage '0': the file holds 3 elements but the pickle says 4")
    let unlisted = assertCheckpointFails(makeLegacyFile(main: main, storages: []))
    XCTAssertEqual(
      unlisted?.description,
      "test.pth: storage '0': it has no data: the storage key list does not name it")
    let extra = assertCheckpointFails(
      makeLegacyFile(main: main, storages: [("0", [1, 2, 3, 4]), ("9", [1])]))
    XCTAssertEqual(
      extra?.description, "test.pth: storage '9': listed in the storage keys but used by no tensor")
  }

  func testDeeplyNestedTuplesAndCyclesNeitherCrashNorHang() {
    // A million nested tuples: values are flat table indices, so freeing them needs no recursion.
    var nested = PickleBuilder()
    nested.emptyTuple()
    nested.bytes.append(contentsOf: [UInt8](repeating: 0x85, count: 1_000_000))  // TUPLE1
    nested.stop()
    let emptyKeyList: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
    let error = assertCheckpointFails(Data(legacyHeader + nested.bytes + emptyKeyList))
    XCTAssertEqual(error?.description, "test.pth: no state dict: the file holds a tuple, not a dictionary")

    // A list appended to itself, then a dict holding it.
    var cycle = PickleBuilder()
    cycle.raw(0x5D, 0x71, 0x00, 0x68, 0x00, 0x61)  // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND
    cycle.raw(0x7D)
    cycle.string("loop")
    cycle.raw(0x68, 0x00, 0x73, 0x2E)  // BINGET 0, SETITEM, STOP
    let cycleError = assertCheckpointFails(Data(legacyHeader + cycle.bytes + emptyKeyList))
    XCTAssertTrue(
      "\(String(describing: cycleError))".contains("entry 'loop' holds a list, not a tensor"),
      "\(String(describing: cycleError))")
  }

  func testMalformedPicklesNameTheProblemAndOffset() {
    let header = legacyHeader.count
    let cases: [([UInt8], String)] = [
      ([0x80, 0x02, 0x68, 0x05], "malformed pickle at byte \(header + 2): memo entry 5 was never stored"),
      ([0x80, 0x02, 0xFF], "malformed pickle at byte \(header + 2): unsupported opcode 0xFF"),
      ([0x80, 0x02, 0x73], "malformed pickle at byte \(header + 2): stack underflow"),
      ([0x80, 0x02, 0x58, 0xFF, 0xFF, 0x00, 0x00, 0x41], "truncated: the data ends inside the pickle"),
      ([0x80, 0x02, 0x4E, 0x4E, 0x61], "APPEND applied to None"),
      ([0x80, 0x02, 0x4E, 0x29, 0x52], "REDUCE calls None, not an allowed global"),
      ([0x80, 0x09], "pickle protocol 9 is not supported"),
      ([0x80, 0x02, 0x74], "no MARK on the stack"),
    ]
    for (pickle, message) in cases {
      let error = assertCheckpointFails(Data(legacyHeader + pickle))
      XCTAssertTrue(
        "\(String(describing: error))".contains(message), "\(String(describing: error)) lacks \(message)")
    }
  }

  func testCallingAnAllowedGlobalWithTheWrongArgumentsIsAnError() {
    var builder = PickleBuilder()
    builder.global("torch._utils", "_rebuild_tensor_v2")
    builder.integers([1, 2])
    builder.reduce()
    builder.stop()
    let error = assertCheckpointFails(Data(legacyHeader + builder.bytes))
    XCTAssertTrue(
      "\(String(describing: error))".contains("torch._utils._rebuild_tensor_v2 called with 2 arguments"),
      "\(String(describing: error))")
  }

  func testStateDictionaryWithANonTensorValueIsNamed() {
    var builder = PickleBuilder()
    builder.emptyDictionary()
    builder.string("epoch")
    builder.integer(3)
    builder.setItem()
    builder.stop()
    let error = assertCheckpointFails(Data(legacyHeader + builder.bytes + [0x80, 0x02, 0x5D, 0x2E]))
    XCTAssertEqual(
      error?.description,
      "test.pth: no state dict: entry 'epoch' holds an int, not a tensor; and none of 'state_dict', 'model', "
        + "'state_dict_ema', 'model_ema' holds a dictionary of tensors (keys: 'epoch')")
  }
}
