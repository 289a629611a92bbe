import EfficientNetKernels

/// An algorithm that updates parameters from their gradients, one step at a time.
///
/// Conforming types are values: copying one copies its state (copy on write), so a copy continues
/// exactly as the original would. Every update is elementwise and independent of thread count, so
/// results are bit-identical run to run.
public protocol Optimizer {
  /// The algorithm's name as stored in ``OptimizerState/kind``: `SGD`, `RMSPropTF` or `AdamW`.
  var name: String { get }
  /// How many times ``step(_:learningRate:)`` has run.
  var stepCount: Int { get }
  /// Updates every parameter in place from its gradient (gradients are read, not changed).
  ///
  /// Buffers are keyed by parameter name and created on a parameter's first step, so the list may
  /// change between steps (for example when layers are unfrozen).
  ///
  /// - Parameters:
  ///   - parameters: the parameters to update; names must be unique.
  ///   - learningRate: this step's learning rate, usually from a ``LearningRateSchedule``.
  mutating func step(_ parameters: [TrainableParameter], learningRate: Float)
  /// The complete state: hyperparameters, step counts and buffers.
  var state: OptimizerState { get }
  /// Replaces the state with one saved earlier by the same algorithm; the following steps are then
  /// bit-identical to those the saving optimizer would have taken. Hyperparameters stay this
  /// optimizer's own.
  ///
  /// - Parameters:
  ///   - state: a state from ``state`` (possibly through a checkpoint).
  ///   - parameters: the parameters that will be trained, to check buffer names and sizes against.
  /// - Throws: ``OptimizationError`` when the state comes from another algorithm or a buffer does not
  ///   match a parameter.
  mutating func restore(_ state: OptimizerState, parameters: [TrainableParameter]) throws
}

extension OptimizerState {
  /// Builds the optimizer that wrote this state, with its recorded hyperparameters and buffers.
  ///
  /// - Throws: ``OptimizationError/kindMismatch(expected:found:)`` for an unknown kind, or the errors of
  ///   ``Optimizer/restore(_:parameters:)`` (buffers are checked against `parameters`).
  public func makeOptimizer(parameters: [TrainableParameter]) throws -> any Optimizer {
    switch kind {
    case SGD.kind:
      var optimizer = SGD(
        momentum: try number("momentum", default: 0), dampening: try number("dampening", default: 0),
        nesterov: hyperparameters["nesterov"] == "true", weightDecay: try number("weight_decay", default: 0))
      try optimizer.restore(self, parameters: parameters)
      return optimizer
    case RMSPropTF.kind:
      var optimizer = RMSPropTF(
        decay: try number("decay", default: 0.9), momentum: try number("momentum", default: 0.9),
        epsilon: try number("epsilon", default: 1e-3), weightDecay: try number("weight_decay", default: 0))
      try optimizer.restore(self, parameters: parameters)
      return optimizer
    case AdamW.kind:
      var optimizer = AdamW(
        beta1: try number("beta1", default: 0.9), beta2: try number("beta2", default: 0.999),
        epsilon: try number("epsilon", default: 1e-8), weightDecay: try number("weight_decay", default: 0))
      try optimizer.restore(self, parameters: parameters)
      return optimizer
    default:
      throw OptimizationError.kindMismatch(expected: "SGD, RMSPropTF or AdamW", found: kind)
    }
  }
}

/// Per-parameter buffers of one kind, keyed by parameter name.
struct ParameterBuffers: Equatable {
  var storage: [String: [Float]] = [:]

  /// Removes and returns the buffer of `name` (moving it, so that writing to it copies nothing),
  /// creating it filled with `initialValue` when absent; `created` tells which. Put it back with
  /// ``put(_:for:)``.
  mutating func take(_ name: String, count: Int, initialValue: Float) -> (buffer: [Float], created: Bool) {
    if let buffer = storage.removeValue(forKey: name) {
      precondition(buffer.count == count, "buffer of \(name) has \(buffer.count) values, parameter \(count)")
      return (buffer, false)
    }
    return ([Float](repeating: initialValue, count: count), true)
  }

  /// Stores `buffer` as the buffer of `name`.
  mutating func put(_ buffer: [Float], for name: String) {
    storage[name] = buffer
  }
}

/// Runs an elementwise update over `0..<count`, split across the compute pool for large tensors.
///
/// Every element is computed the same way whatever the split, so results do not depend on thread count.
func forEachUpdateRange(_ count: Int, _ body: (Range<Int>) -> Void) {
  let grain = 1 << 15
  if count < 2 * grain {
    body(0..<count)
  } else {
    ComputePool.shared.parallelRanges(count, grain: grain, body)
  }
}

/// Eight-lane loads and stores for the elementwise update loops; a partial final group (`count < 8`)
/// reads zeros into the missing lanes and writes back only the present ones, so every element goes
/// through the same vector arithmetic and results do not depend on where a range starts or ends.
enum UpdateLanes {
  /// The eight (or `count`) floats from `base + index`.
  @inline(__always)
  static func load(_ base: UnsafePointer<Float>, _ index: Int, _ count: Int) -> SIMD8<Float> {
    if count == 8 { return UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self) }
    var vector = SIMD8<Float>()
    for lane in 0..<count { vector[lane] = base[index + lane] }
    return vector
  }

  /// Writes the first `count` lanes of `vector` to `base + index`.
  @inline(__always)
  static func store(_ vector: SIMD8<Float>, _ base: UnsafeMutablePointer<Float>, _ index: Int, _ count: Int) {
    if count == 8 {
      UnsafeMutableRawPointer(base + index).storeBytes(of: vector, as: SIMD8<Float>.self)
      return
    }
    for lane in 0..<count { base[index + lane] = vector[lane] }
  }

  /// Calls `body(index, count)` for each group of up to eight elements of `range`.
  @inline(__always)
  static func forEachGroup(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
    var index = range.lowerBound
    while index < range.upperBound {
      body(index, min(8, range.upperBound - index))
      index += 8
    }
  }
}

/// Checks that parameter names are unique, before any update.
func checkUniqueNames(_ parameters: [TrainableParameter]) {
  var seen = Set<String>()
  for parameter in parameters {
    precondition(seen.insert(parameter.name).inserted, "parameter \(parameter.name) is listed twice")
  }
}

extension TrainableParameter {
  /// The first value and the first gradient element (the parameter must not be empty).
  var pointers: (values: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
    guard let values = valueBuffer.baseAddress, let gradient = gradientBuffer.baseAddress else {
      preconditionFailure("parameter \(name) is empty")
    }
    return (values, gradient)
  }
}

/// Exact, round-trip decimal text for a hyperparameter.
func hyperparameterText(_ value: Double) -> String { "\(value)" }

/// The step's learning rate times the parameter's ``TrainableParameter/learningRateScale`` (exactly the
/// step's rate when the scale is 1).
@inline(__always)
func scaledRate(_ learningRate: Float, _ parameter: TrainableParameter) -> Float {
  parameter.learningRateScale == 1 ? learningRate : Float(Double(learningRate) * parameter.learningRateScale)
}
