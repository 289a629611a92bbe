import Foundation

/// One tensor of a safetensors file: its name, element type, shape and raw little-endian bytes.
///
/// The bytes are a view into the file's data (memory-mapped when read from disk), so creating a
/// `StoredTensor` copies nothing; ``floats()`` and ``int64s()`` convert on demand. A PyTorch tensor
/// whose elements are not one contiguous row-major run (``isStrided``) is gathered through its strides
/// only when its values are asked for, so a caller can check its shape before paying for it. Shapes are in the
/// file's (PyTorch) order, for example `[O, I, H, W]` for a convolution weight; elements are row-major.
public struct StoredTensor: Sendable {
  /// The tensor's name in the file, for example `blocks.0.0.conv_dw.weight`.
  public let name: String
  /// The name of the file (or data) the tensor came from, used in error messages.
  public let source: String
  /// The type of each stored element.
  public let dataType: TensorDataType
  /// The dimensions, outermost first; `[]` is a scalar (one element), and a 0 dimension means no elements.
  public let shape: [Int]
  /// The number of elements: the product of `shape` (1 for a scalar).
  public let elementCount: Int

  /// The most bytes a strided tensor may expand to when gathered (1 GiB, far above any EfficientNet
  /// tensor): a few stored elements with zero or overlapping strides could otherwise describe terabytes.
  public static let maximumGatheredByteCount = 1 << 30

  /// The whole buffer the tensor lives in, and the tensor's byte range inside it (absolute indices):
  /// its elements when contiguous, else the whole storage its strides index.
  private let storage: Data
  private let byteRange: Range<Int>
  /// Where the elements lie in `byteRange` when they are not contiguous; nil when they are.
  private let layout: StridedLayout?

  /// Creates a tensor over `byteRange` of `storage`; the reader has checked that the range is inside
  /// `storage` and exactly `elementCount × dataType.byteCount` bytes long.
  init(
    name: String, source: String, dataType: TensorDataType, shape: [Int], elementCount: Int,
    storage: Data, byteRange: Range<Int>
  ) {
    precondition(byteRange.count == elementCount * dataType.byteCount, "byte range does not fit the shape")
    self.init(
      name: name, source: source, dataType: dataType, shape: shape, elementCount: elementCount,
      storage: storage, range: byteRange, layout: nil)
  }

  /// Creates a strided tensor over the storage `storageRange` of `storage`; the reader has checked
  /// that every element `layout` addresses lies inside the range and that the gathered size is at most
  /// ``maximumGatheredByteCount``.
  init(
    name: String, source: String, dataType: TensorDataType, shape: [Int], elementCount: Int,
    storage: Data, storageRange: Range<Int>, layout: StridedLayout
  ) {
    precondition(
      elementCount * dataType.byteCount <= Self.maximumGatheredByteCount, "gathered size unchecked")
    self.init(
      name: name, source: source, dataType: dataType, shape: shape, elementCount: elementCount,
      storage: storage, range: storageRange, layout: layout)
  }

  /// The fields of either form; `range` lies inside `storage`.
  private init(
    name: String, source: String, dataType: TensorDataType, shape: [Int], elementCount: Int,
    storage: Data, range: Range<Int>, layout: StridedLayout?
  ) {
    precondition(range.lowerBound >= storage.startIndex && range.upperBound <= storage.endIndex)
    self.name = name
    self.source = source
    self.dataType = dataType
    self.shape = shape
    self.elementCount = elementCount
    self.storage = storage
    self.byteRange = range
    self.layout = layout
  }

  /// Whether the elements are gathered through strides when read (a transposed or broadcast PyTorch
  /// tensor) rather than viewed in place.
  public var isStrided: Bool { layout != nil }

  /// The number of bytes of the tensor's row-major elements: `elementCount × dataType.byteCount`.
  public var byteCount: Int { elementCount * dataType.byteCount }

  /// A copy of the tensor's raw little-endian bytes, row-major, indexed from 0.
  public var rawBytes: Data { withUnsafeRawBytes { Data($0) } }

  /// Calls `body` with the tensor's raw little-endian bytes, row-major (no copy unless ``isStrided``;
  /// not necessarily aligned).
  ///
  /// - Parameter body: receives a buffer of exactly ``byteCount`` bytes, valid only during the call.
  /// - Returns: what `body` returns.
  public func withUnsafeRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
  {
    try storage.withUnsafeBytes { whole in
      let offset = byteRange.lowerBound - storage.startIndex
      let bytes = UnsafeRawBufferPointer(rebasing: whole[offset..<offset + byteRange.count])
      guard let layout else { return try body(bytes) }
      let gathered = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 16)
      defer { gathered.deallocate() }
      layout.gather(from: bytes, into: gathered, elementSize: dataType.byteCount, shape: shape)
      return try body(UnsafeRawBufferPointer(gathered))
    }
  }

  /// Returns the elements converted to `Float`, row-major, ``elementCount`` of them.
  ///
  /// F32 is copied; F16 and BF16 are widened exactly; F64 and integers are rounded to the nearest
  /// `Float` (integers above 2^24 may lose low bits); BOOL gives 0 or 1.
  public func floats() -> [Float] {
    [Float](unsafeUninitializedCapacity: elementCount) { buffer, initializedCount in
      copyFloats(into: buffer)
      initializedCount = elementCount
    }
  }

  /// Writes the elements converted to `Float` into `destination`, as ``floats()`` would return them.
  ///
  /// - Parameter destination: exactly ``elementCount`` floats (a programmer error otherwise).
  public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(
      destination.count == elementCount, "destination holds \(destination.count) floats, not \(elementCount)")
    guard elementCount > 0 else { return }
    #if _endian(little)
      if dataType == .float32, let layout {
        // Gather straight into the destination: no intermediate copy.
        storage.withUnsafeBytes { whole in
          let offset = byteRange.lowerBound - storage.startIndex
          layout.gather(
            from: UnsafeRawBufferPointer(rebasing: whole[offset..<offset + byteRange.count]),
            into: UnsafeMutableRawBufferPointer(destination), elementSize: 4, shape: shape)
        }
        return
      }
    #endif
    withUnsafeRawBytes { source in
      switch dataType {
      case .float32:
        #if _endian(little)
          UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
        #else
          convert(source, into: destination) { (bits: UInt32) in Float(bitPattern: bits) }
        #endif
      case .float16:
        convert(source, into: destination) { (bits: UInt16) in HalfPrecision.float(fromFloat16Bits: bits) }
      case .bfloat16:
        convert(source, into: destination) { (bits: UInt16) in HalfPrecision.float(fromBFloat16Bits: bits) }
      case .float64:
        convert(source, into: destination) { (bits: UInt64) in Float(Double(bitPattern: bits)) }
      case .int64:
        convert(source, into: destination) { (bits: UInt64) in Float(Int64(bitPattern: bits)) }
      case .int32:
        convert(source, into: destination) { (bits: UInt32) in Float(Int32(bitPattern: bits)) }
      case .int16:
        convert(source, into: destination) { (bits: UInt16) in Float(Int16(bitPattern: bits)) }
      case .int8:
        convert(source, into: destination) { (bits: UInt8) in Float(Int8(bitPattern: bits)) }
      case .uint8:
        convert(source, into: destination) { (bits: UInt8) in Float(bits) }
      case .bool:
        convert(source, into: destination) { (bits: UInt8) in bits == 0 ? 0 : 1 }
      }
    }
  }

  /// Returns the elements of an integer (or BOOL) tensor as `Int64`, row-major; used for class labels.
  ///
  /// - Throws: ``WeightIOError/notAnIntegerTensor(source:tensor:dataType:)`` when the tensor holds
  ///   floating-point values.
  public func int64s() throws -> [Int64] {
    guard dataType.isInteger else {
      throw WeightIOError.notAnIntegerTensor(source: source, tensor: name, dataType: dataType.rawValue)
    }
    return [Int64](unsafeUninitializedCapacity: elementCount) { destination, initializedCount in
      withUnsafeRawBytes { source in
        switch dataType {
        case .int64: convert(source, into: destination) { (bits: UInt64) in Int64(bitPattern: bits) }
        case .int32: convert(source, into: destination) { (bits: UInt32) in Int64(Int32(bitPattern: bits)) }
        case .int16: convert(source, into: destination) { (bits: UInt16) in Int64(Int16(bitPattern: bits)) }
        case .int8: convert(source, into: destination) { (bits: UInt8) in Int64(Int8(bitPattern: bits)) }
        case .uint8: convert(source, into: destination) { (bits: UInt8) in Int64(bits) }
        case .bool: convert(source, into: destination) { (bits: UInt8) in bits == 0 ? 0 : 1 }
        case .float32, .float16, .bfloat16, .float64: preconditionFailure("checked above")
        }
      }
      initializedCount = elementCount
    }
  }
}

/// Reads `destination.count` little-endian words of type `Word` from `source` (unaligned is fine) and
/// stores `transform` of each.
@inline(__always)
private func convert<Word: FixedWidthInteger, Element>(
  _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Element>,
  _ transform: (Word) -> Element
) {
  precondition(source.count == destination.count * MemoryLayout<Word>.size)
  for index in 0..<destination.count {
    let word = source.loadUnaligned(fromByteOffset: index * MemoryLayout<Word>.size, as: Word.self)
    destination[index] = transform(Word(littleEndian: word))
  }
}
