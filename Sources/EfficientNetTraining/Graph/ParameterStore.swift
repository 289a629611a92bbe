import EfficientNetCore
import EfficientNetModels

/// A float buffer whose address stays fixed: parameters, gradients and saved activations.
public final class FloatBuffer: @unchecked Sendable {
  let storage: TensorStorage
  /// The first element.
  public var pointer: UnsafeMutablePointer<Float> { storage.buffer.baseAddress! }
  /// The number of elements.
  public var count: Int { storage.buffer.count }
  /// The elements, for reading and writing.
  public var buffer: UnsafeMutableBufferPointer<Float> { storage.buffer }
  /// The elements, for reading.
  public var readable: UnsafeBufferPointer<Float> { UnsafeBufferPointer(storage.buffer) }

  /// A zero-filled buffer of `count` floats.
  public init(count: Int) { storage = TensorStorage(count: count) }

  /// A buffer holding a tensor's elements.
  public convenience init(copying tensor: Tensor) {
    self.init(count: tensor.count)
    tensor.withUnsafeBufferPointer { _ = buffer.update(fromContentsOf: $0) }
  }

  /// Sets every element to zero.
  public func zero() { buffer.update(repeating: 0) }

  /// The elements as an array.
  public var array: [Float] { Array(storage.buffer) }
}

/// Every tensor of a model being trained: values (PyTorch layouts, timm names) and, for trainable
/// ones, gradients.
public final class ParameterStore {
  /// The tensor specifications in timm's state-dict order.
  public let specs: [ParameterSpec]
  /// Values by name.
  public let values: [String: FloatBuffer]
  /// Gradients by name (trainable tensors only; running statistics have none).
  public let gradients: [String: FloatBuffer]

  /// Copies a model's tensors.
  public init(model: EfficientNet) {
    specs = model.specs
    var values: [String: FloatBuffer] = [:]
    var gradients: [String: FloatBuffer] = [:]
    for spec in model.specs {
      values[spec.name] = FloatBuffer(copying: model.tensors[spec.name]!)
      if spec.role.isTrainable { gradients[spec.name] = FloatBuffer(count: spec.shape.reduce(1, *)) }
    }
    self.values = values
    self.gradients = gradients
  }

  /// Zeroes every gradient.
  public func zeroGradients() {
    for gradient in gradients.values { gradient.zero() }
  }

  /// The values of `name` (which must exist).
  func value(_ name: String) -> FloatBuffer {
    guard let buffer = values[name] else { preconditionFailure("no tensor '\(name)'") }
    return buffer
  }

  /// The gradient of `name` (which must be trainable).
  func gradient(_ name: String) -> FloatBuffer {
    guard let buffer = gradients[name] else { preconditionFailure("no gradient for '\(name)'") }
    return buffer
  }

  /// The current values as named tensors (for saving or building an inference model).
  public func tensors() -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for spec in specs { result[spec.name] = Tensor(shape: spec.shape, values: values[spec.name]!.array) }
    return result
  }
}

/// Buffers for one training step, handed out in the order a pass asks for them and reused by the
/// next pass with the same batch shape (a pass asks for the same sequence every time), so steady-state
/// steps allocate nothing here.
final class Workspace {
  private var buffers: [FloatBuffer] = []
  private var cursor = 0
  /// Bytes held for activations and gradients.
  private(set) var byteCount = 0

  /// Starts a pass: buffers are handed out from the first again.
  func reset() { cursor = 0 }

  /// The next buffer, of exactly `count` floats (contents unspecified).
  func next(_ count: Int) -> FloatBuffer {
    defer { cursor += 1 }
    if cursor < buffers.count {
      if buffers[cursor].count == count { return buffers[cursor] }
      byteCount -= buffers[cursor].count * 4
      buffers[cursor] = FloatBuffer(count: count)
    } else {
      buffers.append(FloatBuffer(count: count))
    }
    byteCount += count * 4
    return buffers[cursor]
  }
}
