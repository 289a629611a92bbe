/// Float storage at a fixed, 64-byte aligned address: the one buffer type of the project.
///
/// Tensors share one until either writes (copy-on-write, see ``Tensor``); layers hold their weights,
/// gradients and planned activations in them, and kernels read and write them through pointers that
/// stay valid for the buffer's lifetime.
public final class FloatBuffer: @unchecked Sendable {
  /// The elements, for reading and writing.
  public let buffer: UnsafeMutableBufferPointer<Float>
  /// The buffer whose storage this one views (nil when this one owns its storage).
  private let owner: FloatBuffer?

  /// Allocates `count` floats, zero-filled.
  public init(count: Int) {
    precondition(count >= 0, "negative element count \(count)")
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
    let pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    pointer.initialize(repeating: 0, count: max(1, count))
    buffer = UnsafeMutableBufferPointer(start: pointer, count: count)
    owner = nil
  }

  /// The first `count` elements of `storage`, sharing its memory (which stays alive as long as
  /// this buffer does); the contents are `storage`'s.
  public init(prefixOf storage: FloatBuffer, count: Int) {
    precondition(count >= 0 && count <= storage.count, "a view of \(count) of \(storage.count) elements")
    buffer = UnsafeMutableBufferPointer(start: storage.pointer, count: count)
    owner = storage
  }

  /// A buffer holding `values`.
  public convenience init(_ values: [Float]) {
    self.init(count: values.count)
    _ = buffer.update(from: values)
  }

  /// A buffer holding a copy of `other`'s elements.
  public convenience init(copying other: FloatBuffer) {
    self.init(count: other.count)
    if other.count > 0 { pointer.update(from: other.pointer, count: other.count) }
  }

  /// A buffer holding a tensor's elements.
  public convenience init(copying tensor: Tensor) {
    self.init(count: tensor.count)
    tensor.withUnsafeBufferPointer { _ = buffer.update(fromContentsOf: $0) }
  }

  deinit {
    if owner == nil { UnsafeMutableRawPointer(buffer.baseAddress!).deallocate() }
  }

  /// The first element.
  public var pointer: UnsafeMutablePointer<Float> { buffer.baseAddress! }
  /// The number of elements.
  public var count: Int { buffer.count }
  /// The elements, for reading.
  public var readable: UnsafeBufferPointer<Float> { UnsafeBufferPointer(buffer) }
  /// The elements as an array.
  public var array: [Float] { Array(buffer) }

  /// `count` elements starting at `offset`, for reading.
  public func read(_ count: Int, at offset: Int = 0) -> UnsafeBufferPointer<Float> {
    precondition(offset >= 0 && offset + count <= self.count, "buffer overrun")
    return UnsafeBufferPointer(start: pointer + offset, count: count)
  }

  /// `count` elements starting at `offset`, for writing.
  public func write(_ count: Int, at offset: Int = 0) -> UnsafeMutableBufferPointer<Float> {
    precondition(offset >= 0 && offset + count <= self.count, "buffer overrun")
    return UnsafeMutableBufferPointer(start: pointer + offset, count: count)
  }

  /// Sets every element to zero.
  public func zero() { buffer.update(repeating: 0) }
}
