import EfficientNetFiles
import Foundation

/// A PyTorch checkpoint (`.pth`/`.pt` written by `torch.save`) read as a state dict: named tensors in
/// the file's order, without executing anything.
///
/// Both of PyTorch's formats are read: the zip archive of torch ≥ 1.6 (`<name>/data.pkl` plus one
/// stored entry per storage) and the legacy format (a sequence of pickles followed by the raw
/// storages). The pickles go through ``PickleMachine``, which knows only the globals a state dict
/// needs; any other global is an error naming it. A checkpoint that wraps its state dict (timm's train
/// checkpoints: `state_dict`, `model`, `state_dict_ema`, `model_ema`) is unwrapped, and a DataParallel
/// `module.` prefix on every name is removed.
///
/// Tensors are ``StoredTensor``s in PyTorch's layouts (`[O, I, KH, KW]` for convolutions): contiguous
/// ones view the file's bytes (memory-mapped), strided ones are gathered into row-major copies.
///
/// ```swift
/// let checkpoint = try PyTorchCheckpoint(contentsOf: URL(fileURLWithPath: "efficientnet-lite0.pth"))
/// let stem = try checkpoint.tensor(named: "_conv_stem.weight").floats()  // [32, 3, 3, 3]
/// ```
public struct PyTorchCheckpoint: Sendable {
  /// The two serialization formats of `torch.save`.
  public enum Format: String, Sendable {
    /// torch ≥ 1.6: a zip archive of uncompressed entries.
    case zip
    /// torch < 1.6 (or `_use_new_zipfile_serialization=False`): pickles followed by raw storages.
    case legacy
  }

  /// The keys under which training checkpoints keep a state dict, in the order they are tried.
  public static let stateDictionaryKeys = ["state_dict", "model", "state_dict_ema", "model_ema"]

  /// The name used for the file in error messages: its path, or the `source` given to ``init(data:source:stateDictionaryKey:)``.
  public let source: String
  /// The file's format.
  public let format: Format
  /// The key of the wrapping dictionary the state dict was taken from; nil when the file is the state dict.
  public let stateDictionaryKey: String?
  /// The prefix removed from every name (`module.` for DataParallel checkpoints), or nil.
  public let removedPrefix: String?
  /// The tensors in the state dict's order.
  public let tensors: [StoredTensor]
  private let indexByName: [String: Int]

  /// Reads the checkpoint at `url` (memory-mapped).
  ///
  /// - Parameters:
  ///   - url: a file URL; its path is used as the `source` in errors.
  ///   - stateDictionaryKey: for a wrapping checkpoint, the key to take the state dict from (for example
  ///     `state_dict_ema`); by default the first of ``stateDictionaryKeys`` present.
  /// - Throws: ``CheckpointError/unreadableFile(source:reason:)`` when the file cannot be opened, or any
  ///   error of ``init(data:source:stateDictionaryKey:)``.
  public init(contentsOf url: URL, stateDictionaryKey: String? = nil) throws {
    let data: Data
    do {
      data = try RegularFile.contents(of: url, mapped: true)
    } catch {
      throw CheckpointError.unreadableFile(source: url.path, reason: error.reason)
    }
    try self.init(data: data, source: url.path, stateDictionaryKey: stateDictionaryKey)
  }

  /// Reads a checkpoint from the bytes of a whole file.
  ///
  /// - Parameters:
  ///   - data: the file's bytes; contiguous tensors keep a reference to them instead of copying.
  ///   - source: the name used for this data in error messages.
  ///   - stateDictionaryKey: see ``init(contentsOf:stateDictionaryKey:)``.
  /// - Throws: a ``CheckpointError`` naming `source`: an unrecognized format, a broken zip archive, a
  ///   malformed or truncated pickle, a global outside the allow-list, a storage missing or too short,
  ///   a tensor reaching outside its storage, or no dictionary of tensors.
  public init(data: Data, source: String, stateDictionaryKey: String? = nil) throws {
    let data = data.startIndex == 0 ? data : Data(data)
    guard let format = Self.format(of: data) else {
      throw CheckpointError.unrecognizedFormat(source: source, reason: Self.describeUnknownStart(of: data))
    }
    let loaded: LoadedPickle
    switch format {
    case .zip: loaded = try loadZipCheckpoint(data, source: source)
    case .legacy: loaded = try loadLegacyCheckpoint(data, source: source)
    }
    let selection = try selectStateDictionary(
      machine: loaded.machine, top: loaded.top, requestedKey: stateDictionaryKey, source: source)

    // DataParallel saves every name under `module.`; drop it when all names have it.
    let prefix = "module."
    let strip = !selection.entries.isEmpty && selection.entries.allSatisfy { $0.name.hasPrefix(prefix) }
    var tensors: [StoredTensor] = []
    var indexByName: [String: Int] = [:]
    var swappedStorages: [Int: StorageBytes] = [:]
    for entry in selection.entries {
      let name = strip ? String(entry.name.dropFirst(prefix.count)) : entry.name
      let reference = loaded.machine.tensors[entry.tensor]
      var storage: StorageBytes
      if let cached = swappedStorages[reference.storage] {
        storage = cached
      } else {
        storage = try loaded.storageBytes(reference.storage)
        if loaded.isBigEndian {
          storage = storage.byteSwapped()
          swappedStorages[reference.storage] = storage
        }
      }
      let tensor = try makeStoredTensor(name: name, source: source, reference: reference, storage: storage)
      if let existing = indexByName[name] {
        tensors[existing] = tensor  // a repeated key: the last value wins, as in Python
      } else {
        indexByName[name] = tensors.count
        tensors.append(tensor)
      }
    }
    self.source = source
    self.format = format
    self.stateDictionaryKey = selection.key
    self.removedPrefix = strip ? prefix : nil
    self.tensors = tensors
    self.indexByName = indexByName
  }

  /// The tensor names in the state dict's order.
  public var names: [String] { tensors.map(\.name) }

  /// The number of tensors.
  public var count: Int { tensors.count }

  /// The tensor called `name`, or nil when the checkpoint has none.
  public subscript(name: String) -> StoredTensor? {
    indexByName[name].map { tensors[$0] }
  }

  /// Returns the tensor called `name`.
  ///
  /// - Throws: ``CheckpointError/missingTensor(source:tensor:)`` naming the tensor and the file.
  public func tensor(named name: String) throws -> StoredTensor {
    guard let tensor = self[name] else { throw CheckpointError.missingTensor(source: source, tensor: name) }
    return tensor
  }

  /// The format of a PyTorch checkpoint judged by its first bytes, or nil when it is neither.
  ///
  /// A zip archive starts with `PK`; the legacy format with a pickle's `PROTO` opcode (0x80, then
  /// protocol 2 to 5), which is enough to recognize it even when the file is truncated right after.
  ///
  /// - Parameter data: at least the file's first 16 bytes.
  public static func format(of data: Data) -> Format? {
    let head = [UInt8](data.prefix(16))
    if head.count >= 2 && head[0] == 0x50 && head[1] == 0x4B { return .zip }
    if head.count >= 2 && head[0] == 0x80 && (2...5).contains(head[1]) { return .legacy }
    if head == [0x80] { return .legacy }
    return nil
  }

  /// The legacy format's magic number 0x1950a86a20f9469cfc6c, little-endian.
  static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

  private static func describeUnknownStart(of data: Data) -> String {
    let head = [UInt8](data.prefix(16))
    if head.isEmpty { return "the file is empty" }
    if head.count >= 9 && head[8] == UInt8(ascii: "{") {
      return "it looks like a safetensors file (read it with SafeTensorsFile)"
    }
    if head[0] == 0x80 { return "a pickle of protocol \(head[1]), which torch.save never writes" }
    return FileSignature.describeStart(of: head)
      + ", neither a zip archive (torch >= 1.6) nor a legacy pickle (80 02..05)"
  }
}
