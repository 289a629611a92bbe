/// A problem reading a PyTorch checkpoint (`.pth`/`.pt`). Every description names the file (its
/// `source`) and says what is wrong; where it helps, the byte offset or the tensor too.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
  /// The file could not be read at all (missing, unreadable, a folder).
  case unreadableFile(source: String, reason: String)
  /// The bytes are neither of PyTorch's formats (zip archive or legacy pickle sequence).
  case unrecognizedFormat(source: String, reason: String)
  /// The zip archive's structure is broken: records past the end, bad signatures, compressed entries…
  case malformedArchive(source: String, reason: String)
  /// A pickle stream is truncated or malformed at `offset` (bytes from the start of the file).
  case malformedPickle(source: String, offset: Int, reason: String)
  /// The pickle names a global outside the allow-list; it was never looked up or called.
  case unsupportedGlobal(source: String, name: String)
  /// A storage (a tensor's raw data) is missing, too short, or described inconsistently.
  case malformedStorage(source: String, key: String, reason: String)
  /// A tensor's size, stride or offset is invalid or reaches outside its storage.
  case invalidTensor(source: String, tensor: String, reason: String)
  /// The checkpoint holds no dictionary of named tensors where one was expected.
  case noStateDictionary(source: String, reason: String)
  /// The file holds no tensor with this name.
  case missingTensor(source: String, tensor: String)
  /// The file is recognizably a checkpoint of `format` but ends before it is complete.
  case truncated(source: String, format: PyTorchCheckpoint.Format, reason: String)

  /// A one-line message naming the file and what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let source, let reason):
      return "\(source): cannot read the file: \(reason)"
    case .unrecognizedFormat(let source, let reason):
      return "\(source): not a PyTorch checkpoint: \(reason)"
    case .malformedArchive(let source, let reason):
      return "\(source): broken zip archive: \(reason)"
    case .malformedPickle(let source, let offset, let reason):
      return "\(source): malformed pickle at byte \(grouped(offset)): \(reason)"
    case .unsupportedGlobal(let source, let name):
      return "unsupported global '\(name)' in \(source): checkpoints may only hold tensors "
        + "(nothing was executed)"
    case .malformedStorage(let source, let key, let reason):
      return "\(source): storage '\(key)': \(reason)"
    case .invalidTensor(let source, let tensor, let reason):
      return "tensor '\(tensor)' in \(source): \(reason)"
    case .noStateDictionary(let source, let reason):
      return "\(source): no state dict: \(reason)"
    case .missingTensor(let source, let tensor):
      return "\(source) has no tensor named '\(tensor)'"
    case .truncated(let source, let format, let reason):
      return "\(source): a truncated PyTorch \(format.rawValue) checkpoint: \(reason)"
    }
  }
}
