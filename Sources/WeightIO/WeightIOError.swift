/// A problem reading or writing a weight file. Every description names the file (its `source`) or the
/// tensor concerned, and says what is wrong.
public enum WeightIOError: Error, Equatable, CustomStringConvertible {
  /// The file could not be read at all (missing, unreadable).
  case unreadableFile(source: String, reason: String)
  /// The file is recognizably something else (an image, compressed data…): `reason` says what.
  case notAWeightFile(source: String, reason: String)
  /// The file is shorter than the 8-byte header-length field.
  case fileTooShort(source: String, byteCount: Int)
  /// The header-length field asks for more than the reader allows (`limit` bytes).
  case headerTooLarge(source: String, headerByteCount: UInt64, limit: Int)
  /// The header-length field asks for more bytes than follow it.
  case truncatedHeader(source: String, headerByteCount: UInt64, availableByteCount: Int)
  /// The header is not valid UTF-8 JSON, or is not a JSON object.
  case invalidHeader(source: String, reason: String)
  /// A `__metadata__` entry is malformed (not an object, or a value that is not a string).
  case invalidMetadata(source: String, reason: String)
  /// A tensor's header entry is malformed (missing field, wrong JSON type, negative dimension…).
  case invalidTensorEntry(source: String, tensor: String, reason: String)
  /// A tensor's `dtype` is not one of ``TensorDataType``.
  case unsupportedDataType(source: String, tensor: String, dataType: String)
  /// The product of a tensor's dimensions (or its byte size) does not fit in an `Int`.
  case shapeOverflow(source: String, tensor: String, shape: [Int])
  /// A tensor's `data_offsets` are reversed or end past the data section.
  case offsetsOutOfBounds(source: String, tensor: String, begin: Int, end: Int, dataByteCount: Int)
  /// A tensor's byte range does not match its element count times its element size.
  case byteCountMismatch(source: String, tensor: String, shape: [Int], dataType: String, byteCount: Int)
  /// Two tensors' byte ranges overlap.
  case overlappingTensors(source: String, first: String, second: String)
  /// The file holds no tensor with this name.
  case missingTensor(source: String, tensor: String)
  /// An integer view was asked of a floating-point tensor.
  case notAnIntegerTensor(source: String, tensor: String, dataType: String)
  /// A tensor was added to a writer under a name already used, or a reserved one.
  case invalidTensorName(tensor: String, reason: String)
  /// A tensor was added to a writer with a shape that does not fit its values.
  case shapeMismatch(tensor: String, shape: [Int], valueCount: Int)
  /// A writer was asked to store values in a type it cannot convert them to.
  case unwritableDataType(tensor: String, dataType: String)
  /// Writing the file failed; nothing was left at the destination.
  case writeFailed(destination: String, reason: String)

  /// A one-line message naming the file or tensor and what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let source, let reason):
      return "\(source): cannot read the file: \(reason)"
    case .notAWeightFile(let source, let reason):
      return "\(source): not a weight file: \(reason); expected safetensors or a PyTorch .pth/.pt checkpoint"
    case .fileTooShort(let source, let byteCount):
      return "\(source): truncated: the file has \(grouped(byteCount)) bytes, fewer than the 8-byte "
        + "header length that starts a safetensors file"
    case .headerTooLarge(let source, let headerByteCount, let limit):
      return "\(source): header length \(grouped(headerByteCount)) bytes is larger than the "
        + "\(grouped(limit))-byte limit; this is not a safetensors file or it is corrupt"
    case .truncatedHeader(let source, let headerByteCount, let availableByteCount):
      return "\(source): truncated: header says \(grouped(headerByteCount)) bytes but the file has "
        + "\(grouped(availableByteCount)) after the 8-byte length"
    case .invalidHeader(let source, let reason):
      return "\(source): invalid header: \(reason)"
    case .invalidMetadata(let source, let reason):
      return "\(source): invalid __metadata__: \(reason)"
    case .invalidTensorEntry(let source, let tensor, let reason):
      return "tensor '\(tensor)' in \(source): \(reason)"
    case .unsupportedDataType(let source, let tensor, let dataType):
      let supported = TensorDataType.allCases.map(\.rawValue).joined(separator: ", ")
      return "dtype \(dataType) of tensor '\(tensor)' in \(source) is not supported (supported: \(supported))"
    case .shapeOverflow(let source, let tensor, let shape):
      return "tensor '\(tensor)' in \(source): shape \(shape) has too many elements to address"
    case .offsetsOutOfBounds(let source, let tensor, let begin, let end, let dataByteCount):
      let problem =
        begin > end ? "are reversed" : "lie outside the \(grouped(dataByteCount))-byte data section"
      return "tensor '\(tensor)' in \(source): data_offsets [\(begin), \(end)] \(problem)"
    case .byteCountMismatch(let source, let tensor, let shape, let dataType, let byteCount):
      return "tensor '\(tensor)' in \(source): shape \(shape) of \(dataType) does not match its "
        + "\(grouped(byteCount))-byte data_offsets range"
    case .overlappingTensors(let source, let first, let second):
      return "\(source): the data of tensors '\(first)' and '\(second)' overlap"
    case .missingTensor(let source, let tensor):
      return "\(source) has no tensor named '\(tensor)'"
    case .notAnIntegerTensor(let source, let tensor, let dataType):
      return "tensor '\(tensor)' in \(source) holds \(dataType) values, not integers"
    case .invalidTensorName(let tensor, let reason):
      return "cannot add tensor '\(tensor)': \(reason)"
    case .shapeMismatch(let tensor, let shape, let valueCount):
      return "cannot add tensor '\(tensor)': shape \(shape) does not hold \(grouped(valueCount)) values"
    case .unwritableDataType(let tensor, let dataType):
      return "cannot add tensor '\(tensor)': these values cannot be stored as \(dataType)"
    case .writeFailed(let destination, let reason):
      return "\(destination): cannot write the file: \(reason)"
    }
  }
}

/// Formats `number` with commas between groups of three digits ("4,096"), independent of locale.
func grouped<Number: BinaryInteger>(_ number: Number) -> String {
  let digits = String(number.magnitude)
  var result = ""
  for (index, digit) in digits.enumerated() {
    if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
    result.append(digit)
  }
  return number < 0 ? "-" + result : result
}
