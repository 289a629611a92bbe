import EfficientNetFiles
import Foundation

/// Builds a safetensors file from named tensors and writes it atomically.
///
/// Tensors are stored in the order they are added, back to back; the JSON header is padded with spaces
/// so that the data section starts at a multiple of 8 bytes. The files read back with
/// ``SafeTensorsFile`` and with the Python `safetensors` library.
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["model": "efficientnet_b0"])
/// try writer.add(name: "conv_stem.weight", shape: [32, 3, 3, 3], values: weights, as: .float16)
/// try writer.write(to: URL(fileURLWithPath: "model.safetensors"))
/// ```
public struct SafeTensorsWriter: Sendable {
  /// The string-to-string `__metadata__` written into the header (omitted when empty).
  public var metadata: [String: String]

  private struct Entry: Sendable {
    let name: String
    let dataType: TensorDataType
    let shape: [Int]
    let bytes: Data
  }
  private var entries: [Entry] = []
  private var usedNames: Set<String> = []

  /// Creates an empty writer.
  ///
  /// - Parameter metadata: strings to store in the header's `__metadata__`.
  public init(metadata: [String: String] = [:]) {
    self.metadata = metadata
  }

  /// The names added so far, in file order.
  public var names: [String] { entries.map(\.name) }

  /// Adds a floating-point tensor.
  ///
  /// - Parameters:
  ///   - name: the tensor's name in the file; must be new and not `__metadata__`.
  ///   - shape: dimensions, outermost first (`[]` for a scalar); their product must equal `values.count`.
  ///   - values: the elements, row-major.
  ///   - dataType: `.float32` (exact), `.float16` or `.bfloat16` (rounded to nearest, ties to even;
  ///     values too large become ±infinity), or `.float64`.
  /// - Throws: ``WeightIOError/invalidTensorName(tensor:reason:)`` for a duplicate or reserved name,
  ///   ``WeightIOError/shapeMismatch(tensor:shape:valueCount:)`` when the shape does not fit the values,
  ///   ``WeightIOError/unwritableDataType(tensor:dataType:)`` for an integer `dataType`.
  public mutating func add(
    name: String, shape: [Int], values: [Float], as dataType: TensorDataType = .float32
  ) throws {
    try checkNewTensor(name: name, shape: shape, valueCount: values.count)
    let bytes: Data
    switch dataType {
    case .float32: bytes = littleEndianBytes(values) { $0.bitPattern }
    case .float16: bytes = littleEndianBytes(values) { HalfPrecision.float16Bits(from: $0) }
    case .bfloat16: bytes = littleEndianBytes(values) { HalfPrecision.bfloat16Bits(from: $0) }
    case .float64: bytes = littleEndianBytes(values) { Double($0).bitPattern }
    case .int64, .int32, .int16, .int8, .uint8, .bool:
      throw WeightIOError.unwritableDataType(tensor: name, dataType: dataType.rawValue)
    }
    append(Entry(name: name, dataType: dataType, shape: shape, bytes: bytes))
  }

  /// Adds an integer tensor, for example class labels.
  ///
  /// - Parameters:
  ///   - name: the tensor's name in the file; must be new and not `__metadata__`.
  ///   - shape: dimensions, outermost first (`[]` for a scalar); their product must equal `values.count`.
  ///   - values: the elements, row-major.
  ///   - dataType: `.int64` or `.int32`.
  /// - Throws: as ``add(name:shape:values:as:)``, and ``WeightIOError/unwritableDataType(tensor:dataType:)``
  ///   for a floating-point `dataType` or a value that does not fit in `.int32`.
  public mutating func add(
    name: String, shape: [Int], integers values: [Int64], as dataType: TensorDataType = .int64
  ) throws {
    try checkNewTensor(name: name, shape: shape, valueCount: values.count)
    let bytes: Data
    switch dataType {
    case .int64:
      bytes = littleEndianBytes(values) { UInt64(bitPattern: $0) }
    case .int32:
      guard values.allSatisfy({ Int32(exactly: $0) != nil }) else {
        throw WeightIOError.unwritableDataType(tensor: name, dataType: dataType.rawValue)
      }
      bytes = littleEndianBytes(values) { UInt32(bitPattern: Int32(truncatingIfNeeded: $0)) }
    case .int16, .int8, .uint8, .bool, .float32, .float16, .bfloat16, .float64:
      throw WeightIOError.unwritableDataType(tensor: name, dataType: dataType.rawValue)
    }
    append(Entry(name: name, dataType: dataType, shape: shape, bytes: bytes))
  }

  /// Returns the complete file: header length, padded JSON header, then the tensors' bytes.
  public func data() -> Data {
    var result = Data()
    for chunk in chunks() { result.append(chunk) }
    return result
  }

  /// Writes the file atomically: the bytes go to a temporary file in the destination's folder, which
  /// is then renamed over `url`. Readers see the old file or the new one, never a partial one.
  ///
  /// - Parameter url: the destination file URL; an existing file there is replaced.
  /// - Throws: ``WeightIOError/writeFailed(destination:reason:)`` when the folder is missing or not
  ///   writable, the disk is full, or the rename fails; the temporary file is removed first.
  public func write(to url: URL) throws {
    do {
      try AtomicFile.write(chunks(), to: url)
    } catch {
      throw WeightIOError.writeFailed(destination: error.path, reason: error.reason)
    }
  }

  private func checkNewTensor(name: String, shape: [Int], valueCount: Int) throws {
    guard name != "__metadata__" else {
      throw WeightIOError.invalidTensorName(tensor: name, reason: "the name is reserved for metadata")
    }
    guard !usedNames.contains(name) else {
      throw WeightIOError.invalidTensorName(tensor: name, reason: "a tensor with this name was already added")
    }
    var elementCount = 1
    var overflow = false
    for dimension in shape where !overflow {
      (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
    }
    guard !overflow, shape.allSatisfy({ $0 >= 0 }), elementCount == valueCount else {
      throw WeightIOError.shapeMismatch(tensor: name, shape: shape, valueCount: valueCount)
    }
  }

  private mutating func append(_ entry: Entry) {
    entries.append(entry)
    usedNames.insert(entry.name)
  }

  /// The file as consecutive pieces: length field plus header, then each tensor's bytes.
  private func chunks() -> [Data] {
    var header = "{"
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
      fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for entry in entries {
      let shape = entry.shape.map(String.init).joined(separator: ",")
      fields.append(
        "\(jsonString(entry.name)):{\"dtype\":\"\(entry.dataType.rawValue)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
      offset += entry.bytes.count
    }
    header += fields.joined(separator: ",") + "}"
    var headerBytes = Array(header.utf8)
    while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    var first = Data(capacity: 8 + headerBytes.count)
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { first.append(contentsOf: $0) }
    first.append(contentsOf: headerBytes)
    return [first] + entries.map(\.bytes)
  }
}

/// Encodes `values` as consecutive little-endian words produced by `word`.
private func littleEndianBytes<Element, Word: FixedWidthInteger>(
  _ values: [Element], _ word: (Element) -> Word
) -> Data {
  var data = Data(count: values.count * MemoryLayout<Word>.size)
  data.withUnsafeMutableBytes { buffer in
    for (index, value) in values.enumerated() {
      buffer.storeBytes(
        of: word(value).littleEndian, toByteOffset: index * MemoryLayout<Word>.size, as: Word.self)
    }
  }
  return data
}

/// Quotes `text` as a JSON string, escaping quotes, backslashes and control characters.
private func jsonString(_ text: String) -> String {
  var result = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\r": result += "\\r"
    case "\t": result += "\\t"
    case _ where scalar.value < 0x20:
      let hex = String(scalar.value, radix: 16)
      result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: result.unicodeScalars.append(scalar)
    }
  }
  return result + "\""
}
