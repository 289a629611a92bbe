import Foundation

/// What a format reader hands back: the main pickle's machine and value, and each storage's bytes.
struct LoadedPickle {
  /// The machine that ran the main pickle (its tables hold the tensors and storages).
  let machine: PickleMachine
  /// The value the main pickle built.
  let top: PickleValue
  /// Whether storages hold big-endian elements (a zip archive's `byteorder` entry says `big`).
  let isBigEndian: Bool
  /// The bytes of storage `index` of ``machine``.
  let storageBytes: (Int) throws -> StorageBytes
}

/// Reads torch ≥ 1.6's zip format: `<folder>/data.pkl`, `<folder>/data/<key>` per storage, and an
/// optional `<folder>/byteorder` (`little` or `big`).
func loadZipCheckpoint(_ data: Data, source: String) throws -> LoadedPickle {
  let archive = try ZipArchive(data: data, source: source)
  let pickleName = "data.pkl"
  guard
    let pickleEntry = archive.entries.first(where: {
      $0.name == pickleName
        || ($0.name.hasSuffix("/" + pickleName) && $0.name.split(separator: "/").count == 2)
    })
  else {
    throw CheckpointError.unrecognizedFormat(
      source: source,
      reason: "a zip archive without a '<folder>/data.pkl' entry, so not written by torch.save")
  }
  let prefix = String(pickleEntry.name.dropLast(pickleName.count))

  var isBigEndian = false
  if let entry = archive.entry(named: prefix + "byteorder") {
    let text = String(decoding: data[try archive.storedRange(of: entry)], as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    switch text {
    case "little": isBigEndian = false
    case "big": isBigEndian = true
    default:
      throw CheckpointError.malformedArchive(
        source: source, reason: "entry '\(entry.name)' says '\(text.prefix(20))', not 'little' or 'big'")
    }
  }

  let machine = PickleMachine(source: source)
  let (top, _) = try machine.run(data, range: try archive.storedRange(of: pickleEntry))
  return LoadedPickle(machine: machine, top: top, isBigEndian: isBigEndian) { index in
    let storage = machine.storages[index]
    let entryName = prefix + "data/" + storage.key
    guard let entry = archive.entry(named: entryName) else {
      throw CheckpointError.malformedStorage(
        source: source, key: storage.key, reason: "the archive has no entry '\(entryName)'")
    }
    let range = try archive.storedRange(of: entry)
    let (needed, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dataType.byteCount)
    guard !overflow, needed <= range.count else {
      throw CheckpointError.malformedStorage(
        source: source, key: storage.key,
        reason: "\(grouped(storage.elementCount)) \(storage.dataType.rawValue) elements need more bytes than "
          + "the \(grouped(range.count)) of entry '\(entryName)'")
    }
    let bytes = StorageBytes(
      data: data, byteRange: range.lowerBound..<range.lowerBound + needed, dataType: storage.dataType,
      elementCount: storage.elementCount)
    return storage.view.map { bytes.view(offset: $0.offset, count: $0.count) } ?? bytes
  }
}

/// Reads the legacy format: pickles of the magic number, the protocol version (1001) and system
/// information; the main pickle; a pickle listing the storage keys; then, for each key in that order,
/// an 8-byte little-endian element count and the elements (always little-endian).
func loadLegacyCheckpoint(_ data: Data, source: String) throws -> LoadedPickle {
  /// Runs the pickle at `start`; one cut off by the end of the file makes the checkpoint truncated.
  func run(_ machine: PickleMachine, from start: Int, part: String) throws -> (value: PickleValue, end: Int) {
    do {
      return try machine.run(data, range: start..<data.count)
    } catch CheckpointError.malformedPickle(_, _, let reason) where reason == PickleFailure.truncated.reason {
      throw CheckpointError.truncated(
        source: source, format: .legacy,
        reason:
          "\(part) (a pickle from byte \(grouped(start)) of the \(grouped(data.count))-byte file): \(reason)")
    }
  }
  let header = PickleMachine(source: source)
  let (magic, afterMagic) = try run(header, from: 0, part: "the magic number")
  guard case .largeInteger(let magicBytes) = magic, magicBytes == PyTorchCheckpoint.legacyMagic else {
    throw CheckpointError.unrecognizedFormat(
      source: source, reason: "the first pickle is not the legacy magic number")
  }
  let (version, afterVersion) = try run(header, from: afterMagic, part: "the protocol version")
  guard case .integer(1001) = version else {
    throw CheckpointError.unrecognizedFormat(
      source: source, reason: "legacy protocol version \(version.kindName) is not 1001")
  }
  let (systemInformation, afterInformation) = try run(
    header, from: afterVersion, part: "the system information")
  guard case .container(let index) = systemInformation, header.containers[index].kind == .dictionary else {
    throw CheckpointError.malformedPickle(
      source: source, offset: afterVersion,
      reason: "the system information is \(header.describe(systemInformation)), not a dict")
  }

  let machine = PickleMachine(source: source)
  let (top, afterMain) = try run(machine, from: afterInformation, part: "the state dict")
  let keyMachine = PickleMachine(source: source)
  let (keyList, dataStart) = try run(keyMachine, from: afterMain, part: "the storage key list")
  let keys: [String]
  do {
    keys = try keyMachine.container(keyList, kinds: [.list], for: "the storage key list").items.map {
      guard case .string(let key) = $0 else { throw PickleFailure("a storage key is \($0.kindName)") }
      return key
    }
  } catch let failure as PickleFailure {
    throw CheckpointError.malformedPickle(source: source, offset: afterMain, reason: failure.reason)
  }

  // The first description of each key defines its whole block (later ones may be views of it).
  var roots: [String: StorageReference] = [:]
  for storage in machine.storages where roots[storage.key] == nil { roots[storage.key] = storage }
  var blocks: [String: StorageBytes] = [:]
  let reader = ByteReader(data: data)
  var position = dataStart
  for key in keys {
    func broken(_ reason: String) -> CheckpointError {
      .malformedStorage(source: source, key: key, reason: reason)
    }
    guard let root = roots[key] else { throw broken("listed in the storage keys but used by no tensor") }
    guard blocks[key] == nil else { throw broken("listed twice in the storage keys") }
    guard let count = reader.uint64(at: position) else {
      throw CheckpointError.truncated(
        source: source, format: .legacy,
        reason: "the \(grouped(data.count))-byte file ends before the element count of storage '\(key)' "
          + "at byte \(grouped(position))")
    }
    guard count == UInt64(root.elementCount) else {
      throw broken(
        "the file holds \(grouped(count)) elements but the pickle says \(grouped(root.elementCount))")
    }
    let (byteCount, overflow) = root.elementCount.multipliedReportingOverflow(by: root.dataType.byteCount)
    guard !overflow else {
      throw broken("\(grouped(root.elementCount)) \(root.dataType.rawValue) elements are too many to address")
    }
    guard let start = reader.offset(UInt64(position + 8), length: UInt64(byteCount)) else {
      throw CheckpointError.truncated(
        source: source, format: .legacy,
        reason: "the \(grouped(root.elementCount)) \(root.dataType.rawValue) elements of storage '\(key)' at "
          + "byte \(grouped(position + 8)) run past the end of the \(grouped(data.count))-byte file")
    }
    blocks[key] = StorageBytes(
      data: data, byteRange: start..<start + byteCount, dataType: root.dataType,
      elementCount: root.elementCount)
    position = start + byteCount
  }
  return LoadedPickle(machine: machine, top: top, isBigEndian: false) { index in
    let storage = machine.storages[index]
    guard let block = blocks[storage.key] else {
      throw CheckpointError.malformedStorage(
        source: source, key: storage.key, reason: "it has no data: the storage key list does not name it")
    }
    return storage.view.map { block.view(offset: $0.offset, count: $0.count) } ?? block
  }
}

/// Finds the state dict in what the main pickle built: the value itself when it is a dictionary of
/// tensors, else the dictionary of tensors under `requestedKey` or the first of
/// ``PyTorchCheckpoint/stateDictionaryKeys``.
///
/// - Returns: the (name, tensor index) pairs in order, and the key used (nil for the top level).
func selectStateDictionary(
  machine: PickleMachine, top: PickleValue, requestedKey: String?, source: String
) throws -> (entries: [(name: String, tensor: Int)], key: String?) {
  func missing(_ reason: String) -> CheckpointError { .noStateDictionary(source: source, reason: reason) }
  guard case .container(let topIndex) = top, machine.containers[topIndex].kind == .dictionary else {
    throw missing("the file holds \(machine.describe(top)), not a dictionary")
  }
  let entries = machine.containers[topIndex].entries

  /// The entries of `value` when it is a dictionary of string keys and tensor values; else why not.
  func tensorEntries(_ value: PickleValue) -> Result<[(name: String, tensor: Int)], CheckpointError> {
    guard case .container(let index) = value, machine.containers[index].kind == .dictionary else {
      return .failure(missing("it holds \(machine.describe(value)), not a dictionary"))
    }
    var result: [(name: String, tensor: Int)] = []
    for (key, value) in machine.containers[index].entries {
      guard case .string(let name) = key else {
        return .failure(missing("a key is \(key.kindName), not a str"))
      }
      guard case .tensor(let tensor) = value else {
        return .failure(missing("entry '\(name)' holds \(machine.describe(value)), not a tensor"))
      }
      result.append((name, tensor))
    }
    return .success(result)
  }
  func value(forKey wanted: String) -> PickleValue? {
    entries.last { if case .string(wanted) = $0.key { return true } else { return false } }?.value
  }

  if let requestedKey {
    guard let value = value(forKey: requestedKey) else {
      throw missing("the checkpoint has no key '\(requestedKey)' (its keys: \(describeKeys(entries)))")
    }
    switch tensorEntries(value) {
    case .success(let found): return (found, requestedKey)
    case .failure(let error): throw missing("under '\(requestedKey)': \(error.reason)")
    }
  }
  let whole = tensorEntries(top)
  if case .success(let found) = whole { return (found, nil) }
  for key in PyTorchCheckpoint.stateDictionaryKeys {
    if let value = value(forKey: key), case .success(let found) = tensorEntries(value) { return (found, key) }
  }
  throw missing(
    "\(whole.failureReason); and none of \(PyTorchCheckpoint.stateDictionaryKeys.map { "'\($0)'" }.joined(separator: ", ")) "
      + "holds a dictionary of tensors (keys: \(describeKeys(entries)))")
}

/// Up to ten keys of a dictionary, for messages.
private func describeKeys(_ entries: [(key: PickleValue, value: PickleValue)]) -> String {
  let names = entries.prefix(10).map { entry -> String in
    if case .string(let name) = entry.key { return "'\(name)'" }
    return entry.key.kindName
  }
  return names.joined(separator: ", ") + (entries.count > 10 ? ", …" : "")
}

extension CheckpointError {
  /// The reason of a ``noStateDictionary(source:reason:)`` error (the description otherwise).
  fileprivate var reason: String {
    if case .noStateDictionary(_, let reason) = self { return reason }
    return description
  }
}

extension Result where Failure == CheckpointError {
  fileprivate var failureReason: String {
    if case .failure(let error) = self { return error.reason }
    return ""
  }
}
