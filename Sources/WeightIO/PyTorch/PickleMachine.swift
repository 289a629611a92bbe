import Foundation

/// A pickle virtual machine for what `torch.save` writes (protocols 2–5), which builds values but
/// never executes anything: globals resolve against ``PickleGlobal``'s allow-list, and the only
/// "calls" are the few constructors a state dict needs, interpreted here.
///
/// Every read is bounds-checked and the number of objects is capped, so truncated, corrupt or hostile
/// input gives a ``CheckpointError`` naming the file and byte offset, never a crash or a hang. Each
/// instruction consumes at least one byte, so running time is linear in the pickle's size.
final class PickleMachine {
  /// The most values one pickle may push in all (a real state dict of B7 pushes about 100,000).
  static let maximumValueCount = 1 << 24
  /// The most dimensions a tensor may have.
  static let maximumDimensionCount = 64

  let source: String
  /// The containers the pickle built; ``PickleValue/container(_:)`` indexes them.
  private(set) var containers: [PickleContainer] = []
  /// The storages named by persistent ids; ``PickleValue/storage(_:)`` indexes them.
  private(set) var storages: [StorageReference] = []
  /// The tensors rebuilt; ``PickleValue/tensor(_:)`` indexes them.
  private(set) var tensors: [TensorReference] = []
  private var storageIndexByKey: [String: Int] = [:]

  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]
  private var valueCount = 0

  /// Creates a machine whose errors name `source`.
  init(source: String) {
    self.source = source
  }

  /// Runs the pickle that starts at the beginning of `range` in `data` and may not read past its end.
  ///
  /// - Parameters:
  ///   - data: the whole file, indexed from 0.
  ///   - range: the bytes the pickle may occupy (offsets from the data's first byte).
  /// - Returns: the value `STOP` leaves, and the offset of the byte after `STOP`.
  /// - Throws: ``CheckpointError/malformedPickle(source:offset:reason:)`` (offsets counted from the
  ///   start of `data`) or ``CheckpointError/unsupportedGlobal(source:name:)``.
  func run(_ data: Data, range: Range<Int>) throws -> (value: PickleValue, end: Int) {
    precondition(range.lowerBound >= 0 && range.upperBound <= data.count, "range outside the data")
    stack.removeAll()
    marks.removeAll()
    memo.removeAll()
    return try data.withUnsafeBytes { whole in
      var cursor = PickleCursor(bytes: UnsafeRawBufferPointer(rebasing: whole[range]), position: 0)
      while true {
        let opcodeOffset = range.lowerBound + cursor.position
        do {
          if let value = try step(&cursor) {
            return (value, range.lowerBound + cursor.position)
          }
        } catch let failure as PickleFailure {
          throw CheckpointError.malformedPickle(
            source: source, offset: opcodeOffset, reason: failure.reason)
        }
      }
    }
  }

  /// Executes one instruction; returns the final value after `STOP`, nil otherwise.
  private func step(_ cursor: inout PickleCursor) throws -> PickleValue? {
    let opcode = try cursor.byte()
    switch opcode {
    case 0x80:  // PROTO
      let version = try cursor.byte()
      guard (2...5).contains(version) else {
        throw PickleFailure("pickle protocol \(version) is not supported")
      }
    case 0x95:  // FRAME: a length prefix for buffering; the contents follow as ordinary opcodes
      let length = try cursor.uint64()
      guard length <= UInt64(cursor.remaining) else { throw PickleFailure.truncated }
    case 0x2E:  // STOP
      return try pop()
    case 0x28:  // MARK
      marks.append(stack.count)
    case 0x30:  // POP
      _ = try pop()
    case 0x31:  // POP_MARK
      _ = try popToMark()
    case 0x32:  // DUP
      try push(try top())
    case 0x4E: try push(.none)  // NONE
    case 0x88: try push(.boolean(true))  // NEWTRUE
    case 0x89: try push(.boolean(false))  // NEWFALSE
    case 0x4A: try push(.integer(Int(Int32(bitPattern: try cursor.uint32()))))  // BININT
    case 0x4B: try push(.integer(Int(try cursor.byte())))  // BININT1
    case 0x4D: try push(.integer(Int(try cursor.uint16())))  // BININT2
    case 0x8A: try push(try integer(cursor.prefixed8()))  // LONG1
    case 0x8B: try push(try integer(cursor.prefixed32()))  // LONG4
    case 0x47:  // BINFLOAT: big-endian binary64
      let raw = try cursor.take(8)
      try push(.float(Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })))
    case 0x58: try push(.string(try text(cursor.prefixed32())))  // BINUNICODE
    case 0x8C: try push(.string(try text(cursor.prefixed8())))  // SHORT_BINUNICODE
    case 0x8D: try push(.string(try text(cursor.prefixed64())))  // BINUNICODE8
    case 0x54: try push(.string(legacyText(try cursor.prefixed32())))  // BINSTRING
    case 0x55: try push(.string(legacyText(try cursor.prefixed8())))  // SHORT_BINSTRING
    case 0x42: try push(.bytes(Data(try cursor.prefixed32())))  // BINBYTES
    case 0x43: try push(.bytes(Data(try cursor.prefixed8())))  // SHORT_BINBYTES
    case 0x8E: try push(.bytes(Data(try cursor.prefixed64())))  // BINBYTES8
    case 0x7D: try push(makeContainer(.dictionary))  // EMPTY_DICT
    case 0x5D: try push(makeContainer(.list))  // EMPTY_LIST
    case 0x29: try push(makeContainer(.tuple))  // EMPTY_TUPLE
    case 0x8F: try push(makeContainer(.set))  // EMPTY_SET
    case 0x74: try push(makeContainer(.tuple, items: try popToMark()))  // TUPLE
    case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
      let count = Int(opcode - 0x84)
      guard stack.count - (marks.last ?? 0) >= count else {
        throw PickleFailure("TUPLE\(count) on too short a stack")
      }
      let items = Array(stack.suffix(count))
      stack.removeLast(count)
      try push(makeContainer(.tuple, items: items))
    case 0x91: try push(makeContainer(.set, items: try popToMark()))  // FROZENSET
    case 0x61:  // APPEND
      let value = try pop()
      try container(top(), kinds: [.list], for: "APPEND").items.append(value)
    case 0x65:  // APPENDS
      let values = try popToMark()
      try container(top(), kinds: [.list], for: "APPENDS").items.append(contentsOf: values)
    case 0x90:  // ADDITEMS
      let values = try popToMark()
      try container(top(), kinds: [.set], for: "ADDITEMS").items.append(contentsOf: values)
    case 0x73:  // SETITEM
      let value = try pop()
      let key = try pop()
      try container(top(), kinds: [.dictionary], for: "SETITEM").entries.append((key, value))
    case 0x75:  // SETITEMS
      let values = try popToMark()
      guard values.count % 2 == 0 else { throw PickleFailure("SETITEMS with an odd number of values") }
      let dictionary = try container(top(), kinds: [.dictionary], for: "SETITEMS")
      for index in stride(from: 0, to: values.count, by: 2) {
        dictionary.entries.append((values[index], values[index + 1]))
      }
    case 0x71: memo[Int(try cursor.byte())] = try top()  // BINPUT
    case 0x72: memo[Int(try cursor.uint32())] = try top()  // LONG_BINPUT
    case 0x94: memo[memo.count] = try top()  // MEMOIZE
    case 0x68: try push(try memoized(Int(cursor.byte())))  // BINGET
    case 0x6A: try push(try memoized(Int(cursor.uint32())))  // LONG_BINGET
    case 0x63:  // GLOBAL
      let module = try cursor.line()
      let name = try cursor.line()
      try push(try global(module: module, name: name))
    case 0x93:  // STACK_GLOBAL
      guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
        throw PickleFailure("STACK_GLOBAL needs two strings")
      }
      try push(try global(module: module, name: name))
    case 0x52:  // REDUCE
      let arguments = try tupleItems(try pop(), for: "REDUCE")
      try push(try call(try pop(), arguments))
    case 0x81:  // NEWOBJ
      let arguments = try tupleItems(try pop(), for: "NEWOBJ")
      try push(try instantiate(try pop(), arguments))
    case 0x92:  // NEWOBJ_EX
      _ = try pop()
      let arguments = try tupleItems(try pop(), for: "NEWOBJ_EX")
      try push(try instantiate(try pop(), arguments))
    case 0x62:  // BUILD: set an object's attributes (OrderedDict._metadata, Namespace fields): ignored
      _ = try pop()
      switch try top() {
      case .tensor: break
      case .container(let index):
        switch containers[index].kind {
        case .dictionary, .object: break
        case .tuple, .list, .set: throw PickleFailure("BUILD applied to \(containers[index].kindName)")
        }
      case let other: throw PickleFailure("BUILD applied to \(other.kindName)")
      }
    case 0x51:  // BINPERSID
      try push(try persistentLoad(try pop()))
    default:
      let character = (0x21...0x7E).contains(opcode) ? " ('\(Character(UnicodeScalar(opcode)))')" : ""
      throw PickleFailure(
        "unsupported opcode 0x\(String(opcode, radix: 16, uppercase: true))\(character); "
          + "this is not a pickle torch.save writes")
    }
    return nil
  }

  // MARK: - Stack

  private func push(_ value: PickleValue) throws {
    valueCount += 1
    guard valueCount <= Self.maximumValueCount else {
      throw PickleFailure("more than \(grouped(Self.maximumValueCount)) objects; refusing an absurd pickle")
    }
    stack.append(value)
  }

  private func pop() throws -> PickleValue {
    guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
      throw PickleFailure("stack underflow")
    }
    return value
  }

  private func top() throws -> PickleValue {
    guard stack.count > (marks.last ?? 0), let value = stack.last else {
      throw PickleFailure("stack underflow")
    }
    return value
  }

  private func popToMark() throws -> [PickleValue] {
    guard let mark = marks.popLast() else { throw PickleFailure("no MARK on the stack") }
    let values = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return values
  }

  private func memoized(_ index: Int) throws -> PickleValue {
    guard let value = memo[index] else { throw PickleFailure("memo entry \(index) was never stored") }
    return value
  }

  private func makeContainer(_ kind: PickleContainer.Kind, items: [PickleValue] = []) -> PickleValue {
    containers.append(PickleContainer(kind: kind, items: items))
    return .container(containers.count - 1)
  }

  /// The container `value` refers to, which must be one of `kinds`.
  func container(_ value: PickleValue, kinds: [PickleContainer.Kind], for operation: String) throws
    -> PickleContainer
  {
    guard case .container(let index) = value else {
      throw PickleFailure("\(operation) applied to \(value.kindName)")
    }
    let container = containers[index]
    guard kinds.contains(container.kind) else {
      throw PickleFailure("\(operation) applied to \(container.kindName)")
    }
    return container
  }

  /// A short description of `value` for messages: its type, with the kind of container spelled out.
  func describe(_ value: PickleValue) -> String {
    if case .container(let index) = value { return containers[index].kindName }
    return value.kindName
  }

  /// The items of a tuple.
  func tupleItems(_ value: PickleValue, for operation: String) throws -> [PickleValue] {
    try container(value, kinds: [.tuple], for: operation).items
  }

  // MARK: - Scalars

  /// Decodes a little-endian two's-complement integer of any width (LONG1/LONG4).
  private func integer(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
    guard bytes.count <= 8 else {
      guard bytes.count <= 64 else { throw PickleFailure("a \(bytes.count)-byte integer is too large") }
      return .largeInteger(Array(bytes))
    }
    guard let last = bytes.last else { return .integer(0) }
    var value: UInt64 = last & 0x80 != 0 ? ~0 : 0
    for byte in bytes.reversed() { value = value << 8 | UInt64(byte) }
    return .integer(Int(Int64(bitPattern: value)))
  }

  private func text(_ bytes: UnsafeRawBufferPointer) throws -> String {
    guard let string = String(validating: bytes, as: UTF8.self) else {
      throw PickleFailure("a string is not valid UTF-8")
    }
    return string
  }

  /// Python 2 `str` (protocol 1 strings in old checkpoints): UTF-8 when valid, else Latin-1.
  private func legacyText(_ bytes: UnsafeRawBufferPointer) -> String {
    String(validating: bytes, as: UTF8.self) ?? String(bytes.map { Character(UnicodeScalar($0)) })
  }

  // MARK: - Globals, calls and persistent ids

  private func global(module: String, name: String) throws -> PickleValue {
    guard let global = PickleGlobal(module: module, name: name) else {
      throw CheckpointError.unsupportedGlobal(source: source, name: "\(module).\(name)")
    }
    return .global(global)
  }

  /// Interprets `callable(*arguments)` for the allowed callables.
  private func call(_ callable: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue {
    guard case .global(let global) = callable else {
      throw PickleFailure("REDUCE calls \(callable.kindName), not an allowed global")
    }
    func require(_ counts: ClosedRange<Int>) throws {
      guard counts.contains(arguments.count) else {
        throw PickleFailure("\(global.qualifiedName) called with \(arguments.count) arguments")
      }
    }
    switch global {
    case .orderedDictionary:
      try require(0...0)
      return makeContainer(.dictionary)
    case .rebuildTensorV2, .rebuildTensor:
      try require(global == .rebuildTensor ? 4...4 : 6...7)
      return try rebuildTensor(arguments)
    case .rebuildParameter, .rebuildParameterWithState:
      try require(global == .rebuildParameter ? 3...3 : 4...4)
      guard case .tensor = arguments[0] else {
        throw PickleFailure("\(global.qualifiedName) needs a tensor, not \(arguments[0].kindName)")
      }
      return arguments[0]
    case .namespace:
      return makeContainer(.object(global.qualifiedName))
    case .storageType:
      throw PickleFailure("\(global.qualifiedName) cannot be called here")
    }
  }

  /// Interprets `cls.__new__(cls, *arguments)` (NEWOBJ) for the allowed classes.
  private func instantiate(_ type: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue {
    switch type {
    case .global(.orderedDictionary): return makeContainer(.dictionary)
    case .global(.namespace): return makeContainer(.object("argparse.Namespace"))
    default: throw PickleFailure("NEWOBJ of \(type.kindName) is not supported")
    }
  }

  /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`: records the strided view.
  private func rebuildTensor(_ arguments: [PickleValue]) throws -> PickleValue {
    guard case .storage(let storage) = arguments[0] else {
      throw PickleFailure("_rebuild_tensor needs a storage, not \(arguments[0].kindName)")
    }
    guard case .integer(let offset) = arguments[1], offset >= 0 else {
      throw PickleFailure("a tensor's storage offset must be an int >= 0")
    }
    let shape = try dimensions(arguments[2], what: "size")
    let strides = try dimensions(arguments[3], what: "stride")
    guard shape.count == strides.count else {
      throw PickleFailure("a tensor has \(shape.count) sizes but \(strides.count) strides")
    }
    tensors.append(TensorReference(storage: storage, storageOffset: offset, shape: shape, strides: strides))
    return .tensor(tensors.count - 1)
  }

  private func dimensions(_ value: PickleValue, what: String) throws -> [Int] {
    let items = try tupleItems(value, for: "a tensor's \(what)")
    guard items.count <= Self.maximumDimensionCount else {
      throw PickleFailure("a tensor's \(what) has \(items.count) dimensions")
    }
    return try items.map {
      guard case .integer(let number) = $0, number >= 0 else {
        throw PickleFailure("a tensor's \(what) holds \($0.kindName) that is not an int >= 0")
      }
      return number
    }
  }

  /// `('storage', storage_type, key, location, element_count[, view_metadata])` → a storage.
  private func persistentLoad(_ identifier: PickleValue) throws -> PickleValue {
    let items = try tupleItems(identifier, for: "a persistent id")
    guard items.count == 5 || items.count == 6, case .string("storage") = items[0] else {
      throw PickleFailure("a persistent id is not ('storage', type, key, location, size)")
    }
    guard case .global(.storageType(let dataType, _)) = items[1] else {
      throw PickleFailure("a persistent id names \(items[1].kindName), not a storage type")
    }
    let key: String
    switch items[2] {
    case .string(let text): key = text
    case .integer(let number): key = String(number)
    default: throw PickleFailure("a storage key is \(items[2].kindName)")
    }
    guard case .integer(let count) = items[4], count >= 0 else {
      throw PickleFailure("storage '\(key)' has a size that is not an int >= 0")
    }
    var view: (offset: Int, count: Int)?
    var tableKey = key
    if items.count == 6, case .container = items[5] {
      let parts = try tupleItems(items[5], for: "a storage view")
      guard parts.count == 3, case .integer(let offset) = parts[1], case .integer(let viewCount) = parts[2],
        offset >= 0, viewCount >= 0, offset <= count, viewCount <= count - offset
      else {
        throw PickleFailure("storage '\(key)' has a view outside its \(grouped(count)) elements")
      }
      view = (offset, viewCount)
      tableKey = "\(key)/\(offset)/\(viewCount)"
    }
    if let existing = storageIndexByKey[tableKey] {
      guard storages[existing].dataType == dataType, storages[existing].elementCount == count else {
        throw PickleFailure("storage '\(key)' is described twice with different types or sizes")
      }
      return .storage(existing)
    }
    if let root = storages.first(where: { $0.key == key }),
      root.dataType != dataType || root.elementCount != count
    {
      throw PickleFailure("storage '\(key)' is described twice with different types or sizes")
    }
    storages.append(StorageReference(key: key, dataType: dataType, elementCount: count, view: view))
    storageIndexByKey[tableKey] = storages.count - 1
    return .storage(storages.count - 1)
  }
}
