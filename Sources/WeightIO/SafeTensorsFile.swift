import EfficientNetFiles
import Foundation

/// A safetensors file, read and fully validated: its metadata and its tensors by name.
///
/// The format is an 8-byte little-endian header length `N`, then `N` bytes of UTF-8 JSON mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the byte
/// after the header), plus an optional `"__metadata__"` object of strings; then the raw data.
///
/// Every number in the header is checked before it is used, so a corrupt or truncated file gives a
/// ``WeightIOError`` naming the file, never a crash. Tensors view the file's bytes without copying.
///
/// ```swift
/// let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "model.safetensors"))
/// let weight = try file.tensor(named: "conv_stem.weight").floats()  // [O, I, H, W]
/// ```
public struct SafeTensorsFile: Sendable {
  /// The largest header accepted, in bytes (the reference implementation's limit).
  public static let maximumHeaderByteCount = 100_000_000

  /// The name used for the file in error messages: its path, or the `source` given to ``init(data:source:)``.
  public let source: String
  /// The string-to-string `__metadata__` of the header (empty when absent).
  public let metadata: [String: String]
  /// The tensors in the order of their data in the file (by begin offset, then name).
  public let tensors: [StoredTensor]
  private let indexByName: [String: Int]

  /// Reads and validates the safetensors file at `url` (memory-mapped, so tensors not used are never read).
  ///
  /// - Parameter url: a file URL; its path is used as the `source` in errors.
  /// - Throws: ``WeightIOError/unreadableFile(source:reason:)`` when the file cannot be opened, or any
  ///   validation error listed for ``init(data:source:)``.
  public init(contentsOf url: URL) throws {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw WeightIOError.unreadableFile(source: url.path, reason: "no such file")
    }
    guard !isFolder.boolValue else {
      throw WeightIOError.unreadableFile(source: url.path, reason: "it is a folder, not a file")
    }
    let data: Data
    do {
      data = try RegularFile.contents(of: url, mapped: true)
    } catch {
      throw WeightIOError.unreadableFile(source: url.path, reason: error.reason)
    }
    try self.init(data: data, source: url.path)
  }

  /// Validates `data` as a safetensors file.
  ///
  /// - Parameters:
  ///   - data: the whole file; tensors keep a reference to it instead of copying.
  ///   - source: the name used for this data in error messages, for example a file name.
  /// - Throws: a ``WeightIOError`` naming `source` when the file starts like an image or another kind
  ///   of file (``WeightIOError/notAWeightFile(source:reason:)``), is too short, the header length is
  ///   absurd or past the end, the header is not a UTF-8 JSON object, an entry lacks or mistypes
  ///   `dtype`/`shape`/`data_offsets`, a dimension is negative or the element count overflows, a dtype
  ///   is unknown, offsets are reversed or past the data, a byte range does not match its shape, two
  ///   tensors overlap, or a `__metadata__` value is not a string.
  public init(data: Data, source: String) throws {
    self.source = source
    let fileByteCount = data.count
    guard fileByteCount >= 8 else {
      throw WeightIOError.fileTooShort(source: source, byteCount: fileByteCount)
    }
    let headerByteCount = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    // An image (say) given by mistake: its magic number read as a length would only mislead.
    if headerByteCount > UInt64(fileByteCount - 8), let kind = FileSignature.foreignKind(of: data.prefix(16))
    {
      throw WeightIOError.notAWeightFile(source: source, reason: "it starts like \(kind)")
    }
    guard headerByteCount <= UInt64(Self.maximumHeaderByteCount) else {
      throw WeightIOError.headerTooLarge(
        source: source, headerByteCount: headerByteCount, limit: Self.maximumHeaderByteCount)
    }
    guard headerByteCount <= UInt64(fileByteCount - 8) else {
      throw WeightIOError.truncatedHeader(
        source: source, headerByteCount: headerByteCount, availableByteCount: fileByteCount - 8)
    }
    let dataSectionStart = 8 + Int(headerByteCount)
    let header: HeaderJSON
    do {
      header = try data.withUnsafeBytes { bytes in
        try HeaderJSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataSectionStart]))
      }
    } catch let error as HeaderJSONError {
      throw WeightIOError.invalidHeader(
        source: source, reason: "\(error.message) at byte \(grouped(error.offset)) of the JSON header")
    }
    guard case .object(let members) = header else {
      throw WeightIOError.invalidHeader(
        source: source, reason: "the JSON header is \(header.typeName), not an object")
    }

    var metadata: [String: String] = [:]
    var entries: [TensorEntry] = []
    let dataByteCount = fileByteCount - dataSectionStart
    for (key, value) in members {
      if key == "__metadata__" {
        metadata = try parseMetadata(value, source: source)
      } else {
        entries.append(try TensorEntry(name: key, json: value, source: source, dataByteCount: dataByteCount))
      }
    }
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    try checkNoOverlap(entries, source: source)

    let base = data.startIndex + dataSectionStart
    tensors = entries.map { entry in
      StoredTensor(
        name: entry.name, source: source, dataType: entry.dataType, shape: entry.shape,
        elementCount: entry.elementCount, storage: data, byteRange: base + entry.begin..<base + entry.end)
    }
    // Names are unique (the parser rejects duplicate keys); keep the first just the same.
    indexByName = Dictionary(
      tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    self.metadata = metadata
  }

  /// The tensor names in the order of their data in the file.
  public var names: [String] { tensors.map(\.name) }

  /// The number of tensors (not counting `__metadata__`).
  public var count: Int { tensors.count }

  /// The tensor called `name`, or nil when the file has none.
  public subscript(name: String) -> StoredTensor? {
    indexByName[name].map { tensors[$0] }
  }

  /// Returns the tensor called `name`.
  ///
  /// - Throws: ``WeightIOError/missingTensor(source:tensor:)`` naming the tensor and the file.
  public func tensor(named name: String) throws -> StoredTensor {
    guard let tensor = self[name] else {
      throw WeightIOError.missingTensor(source: source, tensor: name)
    }
    return tensor
  }
}

/// One validated header entry, with offsets relative to the start of the data section.
private struct TensorEntry {
  let name: String
  let dataType: TensorDataType
  let shape: [Int]
  let elementCount: Int
  let begin: Int
  let end: Int

  init(name: String, json: HeaderJSON, source: String, dataByteCount: Int) throws {
    func invalid(_ reason: String) -> WeightIOError {
      .invalidTensorEntry(source: source, tensor: name, reason: reason)
    }
    guard case .object(let fields) = json else {
      throw invalid("the header entry is \(json.typeName), not an object with dtype, shape and data_offsets")
    }
    func field(_ key: String) throws -> HeaderJSON {
      guard let value = fields.first(where: { $0.key == key })?.value else {
        throw invalid("missing '\(key)'")
      }
      return value
    }
    func integers(_ key: String, _ value: HeaderJSON) throws -> [Int] {
      guard case .array(let elements) = value else {
        throw invalid("'\(key)' is \(value.typeName), not an array of integers")
      }
      return try elements.map { element in
        guard let integer = element.integer else {
          throw invalid("'\(key)' holds \(element.typeName) that is not an integer in range")
        }
        return integer
      }
    }

    let dtypeValue = try field("dtype")
    guard case .string(let dtypeName) = dtypeValue else {
      throw invalid("'dtype' is \(dtypeValue.typeName), not a string")
    }
    let shape = try integers("shape", try field("shape"))
    let offsets = try integers("data_offsets", try field("data_offsets"))
    guard let dataType = TensorDataType(rawValue: dtypeName) else {
      throw WeightIOError.unsupportedDataType(source: source, tensor: name, dataType: dtypeName)
    }
    if let negative = shape.first(where: { $0 < 0 }) {
      throw invalid("shape \(shape) has a negative dimension \(negative)")
    }
    guard offsets.count == 2 else {
      throw invalid("'data_offsets' has \(offsets.count) numbers, not 2 (begin and end)")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin >= 0, begin <= end, end <= dataByteCount else {
      throw WeightIOError.offsetsOutOfBounds(
        source: source, tensor: name, begin: begin, end: end, dataByteCount: dataByteCount)
    }
    var elementCount = 1
    var overflow = false
    for dimension in shape where !overflow {
      (elementCount, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
    }
    let (byteCount, byteOverflow) = elementCount.multipliedReportingOverflow(by: dataType.byteCount)
    guard !overflow, !byteOverflow else {
      throw WeightIOError.shapeOverflow(source: source, tensor: name, shape: shape)
    }
    guard byteCount == end - begin else {
      throw WeightIOError.byteCountMismatch(
        source: source, tensor: name, shape: shape, dataType: dtypeName, byteCount: end - begin)
    }
    self.name = name
    self.dataType = dataType
    self.shape = shape
    self.elementCount = elementCount
    self.begin = begin
    self.end = end
  }
}

/// Reads the `__metadata__` object, whose values must all be strings.
private func parseMetadata(_ json: HeaderJSON, source: String) throws -> [String: String] {
  guard case .object(let members) = json else {
    throw WeightIOError.invalidMetadata(source: source, reason: "it is \(json.typeName), not an object")
  }
  var metadata: [String: String] = [:]
  for (key, value) in members {
    guard case .string(let text) = value else {
      throw WeightIOError.invalidMetadata(
        source: source, reason: "the value of '\(key)' is \(value.typeName), not a string")
    }
    metadata[key] = text
  }
  return metadata
}

/// Throws when two non-empty byte ranges overlap; `entries` are sorted by begin offset.
private func checkNoOverlap(_ entries: [TensorEntry], source: String) throws {
  var furthest: TensorEntry?
  for entry in entries where entry.end > entry.begin {
    if let previous = furthest, entry.begin < previous.end {
      throw WeightIOError.overlappingTensors(source: source, first: previous.name, second: entry.name)
    }
    if furthest.map({ entry.end > $0.end }) ?? true { furthest = entry }
  }
}
