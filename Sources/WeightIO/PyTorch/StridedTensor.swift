import Foundation

/// The raw bytes of one storage: a range of a buffer holding `elementCount` little-endian elements.
struct StorageBytes {
  /// The buffer (the mapped file, or a byte-swapped copy).
  let data: Data
  /// The storage's bytes inside `data` (absolute indices), at least `elementCount × byteCount` long.
  let byteRange: Range<Int>
  /// The element type.
  let dataType: TensorDataType
  /// The number of elements the storage holds.
  let elementCount: Int

  /// The storage with each element's bytes reversed (for storages written on a big-endian machine).
  func byteSwapped() -> StorageBytes {
    let size = dataType.byteCount
    var swapped = Data(data[byteRange])
    if size > 1 {
      swapped.withUnsafeMutableBytes { buffer in
        for start in stride(from: 0, to: buffer.count - size + 1, by: size) {
          var low = start
          var high = start + size - 1
          while low < high {
            buffer.swapAt(low, high)
            low += 1
            high -= 1
          }
        }
      }
    }
    return StorageBytes(
      data: swapped, byteRange: swapped.startIndex..<swapped.endIndex, dataType: dataType,
      elementCount: elementCount)
  }

  /// The elements `offset..<offset + count` of this storage (a legacy storage view).
  func view(offset: Int, count: Int) -> StorageBytes {
    precondition(offset >= 0 && count >= 0 && offset + count <= elementCount, "view outside the storage")
    let start = byteRange.lowerBound + offset * dataType.byteCount
    return StorageBytes(
      data: data, byteRange: start..<start + count * dataType.byteCount, dataType: dataType,
      elementCount: count)
  }
}

/// Where a strided tensor's elements lie in its storage: the first element's index and each axis's
/// step, in elements. The reader checks every index it can produce before making one.
struct StridedLayout: Sendable {
  /// The index of the first element in the storage.
  let storageOffset: Int
  /// The step between neighbours along each axis, in elements.
  let strides: [Int]

  /// Copies the strided elements of a tensor of `shape` row-major from `source` (the whole storage)
  /// into `destination` (exactly the tensor's bytes).
  func gather(
    from source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, elementSize: Int,
    shape: [Int]
  ) {
    // The innermost axis is copied in a loop; the outer ones are walked like an odometer.
    let innerCount = shape.last ?? 1
    let innerStride = (strides.last ?? 1) * elementSize
    let outerAxes = max(0, shape.count - 1)
    var index = [Int](repeating: 0, count: outerAxes)
    var rowStart = storageOffset * elementSize
    var written = 0
    let total = destination.count
    while written < total {
      var from = rowStart
      switch elementSize {
      case 4:
        for _ in 0..<innerCount {
          destination.storeBytes(
            of: source.loadUnaligned(fromByteOffset: from, as: UInt32.self), toByteOffset: written,
            as: UInt32.self)
          from += innerStride
          written += 4
        }
      default:
        for _ in 0..<innerCount {
          for byte in 0..<elementSize { destination[written + byte] = source[from + byte] }
          from += innerStride
          written += elementSize
        }
      }
      // Advance the outer index, carrying into earlier axes.
      var axis = outerAxes - 1
      while axis >= 0 {
        index[axis] += 1
        rowStart += strides[axis] * elementSize
        if index[axis] < shape[axis] { break }
        rowStart -= strides[axis] * elementSize * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}

/// Makes the tensor `name` from a strided view of `storage`: a view of the file's bytes when the
/// elements are contiguous and row-major, otherwise a strided tensor gathered only when read.
///
/// Every bound is checked here, before anything is allocated: the element count and byte size must
/// not overflow, every element the strides address must lie inside the storage, and a strided tensor
/// may expand to at most ``StoredTensor/maximumGatheredByteCount`` bytes.
///
/// - Throws: ``CheckpointError/invalidTensor(source:tensor:reason:)`` when one of them fails.
func makeStoredTensor(
  name: String, source: String, reference: TensorReference, storage: StorageBytes
) throws -> StoredTensor {
  func invalid(_ reason: String) -> CheckpointError {
    .invalidTensor(source: source, tensor: name, reason: reason)
  }
  let shape = reference.shape
  let strides = reference.strides
  let size = storage.dataType.byteCount
  var elementCount = 1
  for dimension in shape {
    let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
    guard !overflow else { throw invalid("size \(shape) has too many elements to address") }
    elementCount = product
  }
  let (byteCount, byteOverflow) = elementCount.multipliedReportingOverflow(by: size)
  guard !byteOverflow else { throw invalid("size \(shape) has too many elements to address") }
  guard elementCount > 0 else {
    let start = storage.byteRange.lowerBound
    return StoredTensor(
      name: name, source: source, dataType: storage.dataType, shape: shape, elementCount: 0,
      storage: storage.data, byteRange: start..<start)
  }

  // The last element the view touches must lie inside the storage.
  var last = reference.storageOffset
  for (dimension, stride) in zip(shape, strides) {
    let (step, overflow) = (dimension - 1).multipliedReportingOverflow(by: stride)
    let (sum, overflow2) = last.addingReportingOverflow(step)
    guard !overflow && !overflow2 else { throw invalid("stride \(strides) overflows") }
    last = sum
  }
  guard last < storage.elementCount else {
    throw invalid(
      "size \(shape), stride \(strides) and offset \(reference.storageOffset) reach element "
        + "\(grouped(last)), but its storage holds \(grouped(storage.elementCount)) elements")
  }

  var contiguous = true
  var expected = 1
  for (dimension, stride) in zip(shape, strides).reversed() where dimension != 1 {
    if stride != expected { contiguous = false }
    expected *= dimension
  }
  if contiguous {
    let start = storage.byteRange.lowerBound + reference.storageOffset * size
    return StoredTensor(
      name: name, source: source, dataType: storage.dataType, shape: shape, elementCount: elementCount,
      storage: storage.data, byteRange: start..<start + byteCount)
  }

  // Zero or overlapping strides let a few stored elements describe an enormous tensor.
  guard byteCount <= StoredTensor.maximumGatheredByteCount else {
    throw invalid(
      "size \(shape) with stride \(strides) would expand \(grouped(storage.byteRange.count)) stored bytes "
        + "to \(grouped(byteCount)) bytes; a strided tensor may take at most "
        + "\(grouped(StoredTensor.maximumGatheredByteCount))")
  }
  return StoredTensor(
    name: name, source: source, dataType: storage.dataType, shape: shape, elementCount: elementCount,
    storage: storage.data, storageRange: storage.byteRange,
    layout: StridedLayout(storageOffset: reference.storageOffset, strides: strides))
}
