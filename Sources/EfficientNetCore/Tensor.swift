/// A dense float32 tensor: a shape and row-major elements with value semantics.
///
/// Activations are NHWC `[N, H, W, C]`; parameters keep PyTorch's layouts (`[O, I, KH, KW]` for
/// convolutions, `[out, in]` for linear layers) until a layer packs them for its kernel.
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
  /// The size of each axis.
  public private(set) var shape: [Int]
  @usableFromInline var storage: FloatBuffer

  /// The number of elements (the product of the shape).
  public var count: Int { storage.buffer.count }

  /// A zero-filled tensor of the given shape.
  public init(zeros shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    self.shape = shape
    storage = FloatBuffer(count: shape.reduce(1, *))
  }

  /// A tensor of the given shape with every element `value`.
  public init(shape: [Int], repeating value: Float) {
    self.init(zeros: shape)
    storage.buffer.update(repeating: value)
  }

  /// A tensor of the given shape holding `values` in row-major order.
  public init(shape: [Int], values: [Float]) {
    precondition(
      shape.reduce(1, *) == values.count,
      "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
    self.init(zeros: shape)
    _ = storage.buffer.update(from: values)
  }

  /// The elements in row-major order.
  public var scalars: [Float] { Array(storage.buffer) }

  /// Reads the elements without copying.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(storage.buffer))
  }

  /// Writes the elements, copying them first if another tensor shares the storage.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) {
      storage = FloatBuffer(copying: storage)
    }
    return try body(storage.buffer)
  }

  /// The same elements viewed with another shape of the same element count.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
    var result = self
    result.shape = newShape
    return result
  }

  /// Element `index` in row-major order.
  public subscript(flat index: Int) -> Float {
    get { storage.buffer[index] }
    set { withUnsafeMutableBufferPointer { $0[index] = newValue } }
  }

  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape && lhs.storage.buffer.elementsEqual(rhs.storage.buffer)
  }

  public var description: String { "Tensor(shape: \(shape))" }
}
