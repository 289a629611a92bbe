/// 64-byte aligned float storage shared by tensors until one of them writes (copy-on-write).
public final class TensorStorage: @unchecked Sendable {
  /// The elements.
  public let buffer: UnsafeMutableBufferPointer<Float>

  /// Allocates `count` floats, zero-filled.
  public init(count: Int) {
    precondition(count >= 0, "negative element count \(count)")
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
    let pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    pointer.initialize(repeating: 0, count: max(1, count))
    buffer = UnsafeMutableBufferPointer(start: pointer, count: count)
  }

  /// Allocates a copy of `other`.
  @usableFromInline
  convenience init(copying other: TensorStorage) {
    self.init(count: other.buffer.count)
    if other.buffer.count > 0 {
      buffer.baseAddress!.update(from: other.buffer.baseAddress!, count: other.buffer.count)
    }
  }

  deinit {
    UnsafeMutableRawPointer(buffer.baseAddress!).deallocate()
  }
}
