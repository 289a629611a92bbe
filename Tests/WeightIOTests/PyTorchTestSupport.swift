import EfficientNetTestSupport
import Foundation
import WeightIO

/// The PyTorch fixtures, made by `Fixtures/pytorch/make_pytorch_fixtures.py`.
enum PyTorchFiles {
  static let folder = RepositoryPaths.fixtures("WeightIOTests", "pytorch")

  static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

  /// `../shared/weights/efficientnet-lite0-57934424.pth`, or a skip saying it is absent.
  static func lite0() throws -> URL { try SharedData.require(SharedData.lite0Checkpoint) }
}

/// Writes pickle opcodes by hand, so tests can build exactly the (broken) streams they need.
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]

  mutating func raw(_ values: UInt8...) { bytes += values }
  mutating func mark() { raw(0x28) }
  mutating func stop() { raw(0x2E) }
  mutating func emptyDictionary() { raw(0x7D) }
  mutating func emptyTuple() { raw(0x29) }
  mutating func tuple() { raw(0x74) }
  mutating func reduce() { raw(0x52) }
  mutating func persistentId() { raw(0x51) }
  mutating func setItem() { raw(0x73) }
  mutating func none() { raw(0x4E) }
  mutating func bool(_ value: Bool) { raw(value ? 0x88 : 0x89) }

  mutating func global(_ module: String, _ name: String) {
    raw(0x63)
    bytes += Array("\(module)\n\(name)\n".utf8)
  }

  mutating func string(_ text: String) {
    let utf8 = Array(text.utf8)
    raw(0x58)
    bytes += LittleEndian.bytes(UInt32(utf8.count))
    bytes += utf8
  }

  mutating func integer(_ value: Int32) {
    raw(0x4A)
    bytes += LittleEndian.bytes(value)
  }

  /// A tuple of small integers.
  mutating func integers(_ values: [Int32]) {
    mark()
    for value in values { integer(value) }
    tuple()
  }

  /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', count[, view]), offset, size, stride, False,
  /// OrderedDict())`, leaving the tensor on the stack.
  mutating func tensor(
    storageType: String = "FloatStorage", key: String, count: Int32, offset: Int32, size: [Int32],
    stride: [Int32], view: (key: String, offset: Int32, count: Int32)? = nil
  ) {
    global("torch._utils", "_rebuild_tensor_v2")
    mark()
    mark()
    string("storage")
    global("torch", storageType)
    string(key)
    string("cpu")
    integer(count)
    if let view {
      mark()
      string(view.key)
      integer(view.offset)
      integer(view.count)
      tuple()
    } else {
      none()
    }
    tuple()
    persistentId()
    integer(offset)
    integers(size)
    integers(stride)
    bool(false)
    global("collections", "OrderedDict")
    emptyTuple()
    reduce()
    tuple()
    reduce()
  }
}

/// The three header pickles of the legacy format: magic number, protocol 1001, system information.
let legacyHeader: [UInt8] =
  [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
  + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E] + [0x80, 0x02, 0x7D, 0x2E]

/// A legacy-format file: header, `main` pickle, the key list, then each storage as an element count and
/// its little-endian float32 elements.
func makeLegacyFile(main: PickleBuilder, storages: [(key: String, values: [Float])]) -> Data {
  var keys = PickleBuilder()
  keys.raw(0x5D)  // EMPTY_LIST
  keys.mark()
  for storage in storages { keys.string(storage.key) }
  keys.raw(0x65)  // APPENDS
  keys.stop()
  var bytes = legacyHeader + main.bytes + keys.bytes
  for storage in storages {
    bytes += LittleEndian.bytes(UInt64(storage.values.count)) + LittleEndian.bytes(storage.values)
  }
  return Data(bytes)
}

/// A main pickle holding `{name: tensor}` for each tensor written by `body`.
func stateDictionaryPickle(_ body: (inout PickleBuilder) -> Void) -> PickleBuilder {
  var builder = PickleBuilder()
  builder.emptyDictionary()
  body(&builder)
  builder.stop()
  return builder
}
