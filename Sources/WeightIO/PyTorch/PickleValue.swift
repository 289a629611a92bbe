import Foundation

/// A value on the unpickler's stack or in its memo.
///
/// Containers, storages and tensors are indices into the machine's tables rather than nested values:
/// nothing owns anything recursively, so a hostile pickle can build cycles or a million nested tuples
/// without recursion ever touching the call stack (no stack overflow when values are freed or read).
enum PickleValue {
  case none
  case boolean(Bool)
  case integer(Int)
  /// An integer wider than 64 bits, as little-endian two's-complement bytes (the legacy magic number).
  case largeInteger([UInt8])
  case float(Double)
  case string(String)
  case bytes(Data)
  /// A global from the allow-list (a callable or class, never executed).
  case global(PickleGlobal)
  /// An index into ``PickleMachine/containers``.
  case container(Int)
  /// An index into ``PickleMachine/storages``.
  case storage(Int)
  /// An index into ``PickleMachine/tensors``.
  case tensor(Int)

  /// A short description for error messages (never recursive).
  var kindName: String {
    switch self {
    case .none: return "None"
    case .boolean: return "a bool"
    case .integer, .largeInteger: return "an int"
    case .float: return "a float"
    case .string: return "a str"
    case .bytes: return "bytes"
    case .global(let global): return "the global '\(global.qualifiedName)'"
    case .container: return "a container"
    case .storage: return "a storage"
    case .tensor: return "a tensor"
    }
  }
}

/// The globals a state dict needs. Anything else is rejected by name before it could be used.
enum PickleGlobal: Equatable {
  /// `collections.OrderedDict`: the type of every `state_dict()`.
  case orderedDictionary
  /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
  case rebuildTensorV2
  /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (old files).
  case rebuildTensor
  /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: a Parameter is kept as its tensor.
  case rebuildParameter
  /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
  case rebuildParameterWithState
  /// `torch.FloatStorage` and the other typed storage classes, named in persistent ids.
  case storageType(TensorDataType, name: String)
  /// `argparse.Namespace`: the `args` record in timm's train checkpoints, kept as an opaque object.
  case namespace

  /// The storage classes and their element types.
  static let storageTypes: [String: TensorDataType] = [
    "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
    "DoubleStorage": .float64, "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16,
    "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
  ]

  /// Resolves `module.name` against the allow-list; nil for anything else.
  init?(module: String, name: String) {
    switch (module, name) {
    case ("collections", "OrderedDict"): self = .orderedDictionary
    case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
    case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
    case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
    case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
    case ("argparse", "Namespace"): self = .namespace
    case ("torch", _):
      guard let dataType = Self.storageTypes[name] else { return nil }
      self = .storageType(dataType, name: name)
    default: return nil
    }
  }

  /// The global's dotted name, as Python writes it.
  var qualifiedName: String {
    switch self {
    case .orderedDictionary: return "collections.OrderedDict"
    case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
    case .rebuildTensor: return "torch._utils._rebuild_tensor"
    case .rebuildParameter: return "torch._utils._rebuild_parameter"
    case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
    case .storageType(_, let name): return "torch.\(name)"
    case .namespace: return "argparse.Namespace"
    }
  }
}

/// A tuple, list, set, dictionary or opaque object built by the unpickler. A class, so that `APPEND`
/// and `SETITEM` on a memoized container change the one every reference sees (as in Python).
final class PickleContainer {
  /// What the container is.
  enum Kind: Equatable {
    case tuple, list, set, dictionary
    /// An object of an allowed class whose contents do not matter (for example `argparse.Namespace`).
    case object(String)
  }

  let kind: Kind
  /// The elements of a tuple, list or set.
  var items: [PickleValue]
  /// The entries of a dictionary, in insertion order (a repeated key appears twice; the last wins).
  var entries: [(key: PickleValue, value: PickleValue)] = []

  init(kind: Kind, items: [PickleValue] = []) {
    self.kind = kind
    self.items = items
  }

  var kindName: String {
    switch kind {
    case .tuple: return "a tuple"
    case .list: return "a list"
    case .set: return "a set"
    case .dictionary: return "a dict"
    case .object(let name): return "a '\(name)' object"
    }
  }
}

/// A storage named by a persistent id: `('storage', type, key, location, count[, view])`.
struct StorageReference {
  /// The key naming the raw data (`data/<key>` in a zip, the key list in a legacy file).
  let key: String
  /// The element type (from the storage class).
  let dataType: TensorDataType
  /// The number of elements of the whole stored block.
  let elementCount: Int
  /// For a legacy storage view: the first element and element count of the view inside the block.
  let view: (offset: Int, count: Int)?
}

/// A tensor rebuilt by `_rebuild_tensor_v2`: a strided view of a storage.
struct TensorReference {
  /// An index into ``PickleMachine/storages``.
  let storage: Int
  /// The first element, counted in elements from the start of the storage (or view).
  let storageOffset: Int
  /// Sizes and strides (in elements), outermost first.
  let shape: [Int]
  let strides: [Int]
}
