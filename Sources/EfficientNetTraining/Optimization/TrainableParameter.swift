/// One trainable tensor as an optimizer sees it: flat values, their gradient, and whether weight decay
/// applies.
///
/// Values and gradient live at fixed addresses (``valueBuffer``, ``gradientBuffer``), so optimizers
/// update them in place with no copy and no allocation, and a parameter can either own its memory or
/// wrap memory that a model or training graph already holds (see
/// ``init(name:shape:valueBuffer:gradientBuffer:decays:owner:)``). Both are flat, in the tensor's own
/// layout (for example `[O, I, KH, KW]` for a PyTorch-ordered convolution weight); optimizers are
/// elementwise and never look at the layout.
public final class TrainableParameter {
  /// The stable checkpoint name, for example `blocks.0.0.conv_dw.weight`; optimizer and EMA state are
  /// keyed by it.
  public let name: String
  /// The tensor's shape; its product is ``count``.
  public let shape: [Int]
  /// Whether the optimizer's weight decay applies (false for batch-norm scales and shifts and for biases).
  public let decays: Bool
  /// The values, ``count`` floats, updated in place by optimizers.
  public let valueBuffer: UnsafeMutableBufferPointer<Float>
  /// The gradient of the loss with respect to the values, ``count`` floats; read by optimizers, scaled by
  /// ``clipGradientNorm(_:maxNorm:)``.
  public let gradientBuffer: UnsafeMutableBufferPointer<Float>
  /// This parameter's learning rate as a multiple of the step's (1 by default): layer-wise decay and a
  /// lower backbone rate when fine-tuning. Optimizers use `learningRate × learningRateScale` for every
  /// use of the rate, decoupled weight decay included (as a PyTorch parameter group's `lr` would).
  public var learningRateScale: Double = 1
  /// Keeps wrapped memory alive; nil when the parameter owns its memory.
  private let owner: AnyObject?

  /// Creates a parameter that owns a copy of `values` and a zero gradient.
  ///
  /// - Parameters:
  ///   - name: the stable checkpoint name.
  ///   - shape: the tensor's shape; its product must equal `values.count`.
  ///   - values: the initial values.
  ///   - decays: whether weight decay applies; by default ``decaysByDefault(name:shape:)``.
  public init(name: String, shape: [Int], values: [Float], decays: Bool? = nil) {
    precondition(
      shape.reduce(1, *) == values.count,
      "parameter \(name): shape \(shape) holds \(shape.reduce(1, *)) values, given \(values.count)")
    self.name = name
    self.shape = shape
    self.decays = decays ?? TrainableParameter.decaysByDefault(name: name, shape: shape)
    valueBuffer = .allocate(capacity: values.count)
    _ = valueBuffer.initialize(fromContentsOf: values)
    gradientBuffer = .allocate(capacity: values.count)
    gradientBuffer.initialize(repeating: 0)
    owner = nil
  }

  /// Creates a parameter over memory someone else owns, for example a training graph's value and
  /// gradient buffers; nothing is copied.
  ///
  /// - Parameters:
  ///   - name: the stable checkpoint name.
  ///   - shape: the tensor's shape; its product must equal both buffers' counts.
  ///   - valueBuffer: the values, updated in place.
  ///   - gradientBuffer: the gradient.
  ///   - decays: whether weight decay applies; by default ``decaysByDefault(name:shape:)``.
  ///   - owner: an object that keeps both buffers alive for as long as this parameter lives.
  public init(
    name: String, shape: [Int], valueBuffer: UnsafeMutableBufferPointer<Float>,
    gradientBuffer: UnsafeMutableBufferPointer<Float>, decays: Bool? = nil, owner: AnyObject
  ) {
    let count = shape.reduce(1, *)
    precondition(
      valueBuffer.count == count && gradientBuffer.count == count,
      "parameter \(name): shape \(shape) holds \(count) values, buffers \(valueBuffer.count), \(gradientBuffer.count)"
    )
    self.name = name
    self.shape = shape
    self.decays = decays ?? TrainableParameter.decaysByDefault(name: name, shape: shape)
    self.valueBuffer = valueBuffer
    self.gradientBuffer = gradientBuffer
    self.owner = owner
  }

  deinit {
    if owner == nil {
      valueBuffer.deallocate()
      gradientBuffer.deallocate()
    }
  }

  /// The number of scalar values.
  public var count: Int { valueBuffer.count }

  /// The values as an array (a copy); setting copies `count` new values in.
  public var values: [Float] {
    get { Array(valueBuffer) }
    set {
      precondition(newValue.count == count, "parameter \(name): \(newValue.count) values for \(count)")
      _ = valueBuffer.update(fromContentsOf: newValue)
    }
  }

  /// The gradient as an array (a copy); setting copies `count` new values in.
  public var gradient: [Float] {
    get { Array(gradientBuffer) }
    set {
      precondition(newValue.count == count, "parameter \(name): \(newValue.count) gradients for \(count)")
      _ = gradientBuffer.update(fromContentsOf: newValue)
    }
  }

  /// Sets every gradient element to zero.
  public func zeroGradient() {
    gradientBuffer.update(repeating: 0)
  }

  /// The usual rule for which parameters take weight decay (timm's `param_groups_weights_decay`): tensors
  /// of rank two or more (convolution and linear weights) decay; rank-0/1 tensors (batch-norm scale and
  /// shift, biases) and any name ending in `.bias` do not.
  ///
  /// The paper's TensorFlow code decays every trainable variable but batch normalization's, biases
  /// included; the difference is small (EfficientNet's only biases are the SE and classifier ones).
  public static func decaysByDefault(name: String, shape: [Int]) -> Bool {
    shape.count >= 2 && !name.hasSuffix(".bias")
  }
}
