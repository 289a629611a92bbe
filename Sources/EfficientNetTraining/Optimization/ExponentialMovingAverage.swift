/// An exponential moving average of the weights (and, usually, batch-norm running statistics), which
/// evaluation uses instead of the raw weights (the paper: decay 0.9999).
///
/// After each optimizer step, ``update(parameters:buffers:)`` moves every shadow tensor toward the
/// current values: `shadow ← d·shadow + (1 − d)·value` (timm's `ModelEmaV2`). The shadow starts as a
/// copy of the values given at creation. With ``Warmup/tensorFlow`` the decay of update `n` (from 1) is
/// `min(d, (1 + n) / (10 + n))`, as TensorFlow's `ExponentialMovingAverage(num_updates: global_step)`
/// in the paper's code, so early averages do not cling to the random initialization.
///
/// Tensors are identified by position (the order given at creation) and named for checkpoints.
public final class ExponentialMovingAverage {
  /// How the decay grows over the first updates.
  public enum Warmup: String, Equatable, Sendable {
    /// The configured decay from the first update (timm `ModelEmaV2`).
    case none
    /// `min(decay, (1 + n) / (10 + n))` for update n (TensorFlow with `num_updates`).
    case tensorFlow
  }

  /// The name stored in ``OptimizerState/kind``.
  public static let kind = "ExponentialMovingAverage"

  /// The decay d (0.9999 in the paper); closer to 1 averages over more steps.
  public let decay: Double
  /// How the decay grows over the first updates.
  public let warmup: Warmup
  /// The names of the averaged tensors, in update order.
  public let names: [String]
  /// The averaged values, one flat array per name.
  public private(set) var shadow: [[Float]]
  /// How many updates have been applied.
  public private(set) var updateCount = 0

  /// Creates an average whose shadow starts as a copy of `values`.
  ///
  /// - Parameters:
  ///   - decay: the decay d in [0, 1].
  ///   - warmup: how the decay grows over the first updates.
  ///   - names: unique tensor names (checkpoint keys).
  ///   - values: the initial values, one flat array per name.
  public init(decay: Double = 0.9999, warmup: Warmup = .none, names: [String], values: [[Float]]) {
    precondition((0...1).contains(decay), "EMA decay must lie in [0, 1]")
    precondition(names.count == values.count, "EMA: \(names.count) names for \(values.count) tensors")
    precondition(Set(names).count == names.count, "EMA: tensor names must be unique")
    self.decay = decay
    self.warmup = warmup
    self.names = names
    self.shadow = values
  }

  /// Creates an average of `parameters`' values followed by non-trainable `buffers` (such as batch-norm
  /// running means and variances), starting from their current values.
  ///
  /// - Parameters:
  ///   - decay: the decay d in [0, 1].
  ///   - warmup: how the decay grows over the first updates.
  ///   - parameters: the trainable parameters.
  ///   - buffers: named non-trainable tensors, averaged after the parameters.
  public convenience init(
    decay: Double = 0.9999, warmup: Warmup = .none, parameters: [TrainableParameter],
    buffers: [(name: String, values: [Float])] = []
  ) {
    self.init(
      decay: decay, warmup: warmup, names: parameters.map(\.name) + buffers.map(\.name),
      values: parameters.map(\.values) + buffers.map(\.values))
  }

  /// The decay the next update will use.
  public var nextDecay: Double {
    switch warmup {
    case .none: return decay
    case .tensorFlow:
      let updates = Double(updateCount + 1)
      return min(decay, (1 + updates) / (10 + updates))
    }
  }

  /// Moves every shadow tensor toward `values` (same order and sizes as ``names``).
  public func update(_ values: [[Float]]) {
    precondition(values.count == shadow.count, "EMA: \(values.count) tensors for \(shadow.count) names")
    let (keep, take) = beginUpdate()
    for index in values.indices {
      values[index].withUnsafeBufferPointer { accumulate(index, $0, keep: keep, take: take) }
    }
  }

  /// Moves the shadow toward `parameters`' values followed by `buffers`, in the order (and with the
  /// names) given at creation; parameter values are read in place.
  public func update(parameters: [TrainableParameter], buffers: [[Float]] = []) {
    precondition(
      parameters.count + buffers.count == shadow.count,
      "EMA: \(parameters.count + buffers.count) tensors for \(shadow.count) names")
    let (keep, take) = beginUpdate()
    for (index, parameter) in parameters.enumerated() {
      precondition(parameter.name == names[index], "EMA: expected \(names[index]), given \(parameter.name)")
      accumulate(index, UnsafeBufferPointer(parameter.valueBuffer), keep: keep, take: take)
    }
    for (offset, buffer) in buffers.enumerated() {
      buffer.withUnsafeBufferPointer { accumulate(parameters.count + offset, $0, keep: keep, take: take) }
    }
  }

  /// Moves every shadow tensor toward memory held elsewhere (for example a training graph's running
  /// statistics), same order and sizes as ``names``; each pointer must stay valid during the call.
  public func update(sources: [UnsafeBufferPointer<Float>]) {
    precondition(sources.count == shadow.count, "EMA: \(sources.count) tensors for \(shadow.count) names")
    let (keep, take) = beginUpdate()
    for (index, source) in sources.enumerated() {
      accumulate(index, source, keep: keep, take: take)
    }
  }

  /// Counts an update and returns its weights: `d` for the shadow and `1 − d` for the new values.
  private func beginUpdate() -> (keep: Float, take: Float) {
    let decay = nextDecay
    updateCount += 1
    return (Float(decay), Float(1 - decay))
  }

  /// shadow[index] ← keep·shadow[index] + take·current.
  private func accumulate(_ index: Int, _ current: UnsafeBufferPointer<Float>, keep: Float, take: Float) {
    precondition(
      current.count == shadow[index].count,
      "EMA: \(names[index]) has \(current.count) values, expected \(shadow[index].count)")
    let count = current.count
    guard count > 0, let current = current.baseAddress else { return }
    shadow[index].withUnsafeMutableBufferPointer { average in
      guard let average = average.baseAddress else { return }
      forEachUpdateRange(count) { range in
        UpdateLanes.forEachGroup(range) { element, lanes in
          let updated =
            keep * UpdateLanes.load(average, element, lanes) + take
            * UpdateLanes.load(current, element, lanes)
          UpdateLanes.store(updated, average, element, lanes)
        }
      }
    }
  }

  /// The shadow values of the tensor `name`, or nil when it is not averaged.
  public func shadow(named name: String) -> [Float]? {
    names.firstIndex(of: name).map { shadow[$0] }
  }

  /// The shadow values by name, for evaluating or saving the averaged model.
  public var shadowByName: [String: [Float]] {
    Dictionary(uniqueKeysWithValues: zip(names, shadow))
  }

  /// Decay, warm-up, update count and shadow values (buffer kind `shadow`), to save with a checkpoint
  /// (conventionally with prefix `ema.`).
  public var state: OptimizerState {
    OptimizerState(
      kind: ExponentialMovingAverage.kind, stepCount: updateCount,
      hyperparameters: ["decay": hyperparameterText(decay), "warmup": warmup.rawValue],
      buffers: ["shadow": shadowByName])
  }

  /// Restores update count and shadow values saved by ``state``; decay and warm-up stay this average's.
  ///
  /// - Throws: ``OptimizationError`` when the state is not an EMA's, lacks one of ``names`` or a size
  ///   differs.
  public func restore(_ state: OptimizerState) throws {
    guard state.kind == ExponentialMovingAverage.kind else {
      throw OptimizationError.kindMismatch(expected: ExponentialMovingAverage.kind, found: state.kind)
    }
    for bufferKind in state.buffers.keys where bufferKind != "shadow" {
      throw OptimizationError.unexpectedBuffer(kind: ExponentialMovingAverage.kind, buffer: bufferKind)
    }
    let stored = state.buffers["shadow"] ?? [:]
    let known = Set(names)
    for name in stored.keys where !known.contains(name) {
      throw OptimizationError.unknownParameter(buffer: "shadow", parameter: name)
    }
    var restored = shadow
    for (index, name) in names.enumerated() {
      guard let values = stored[name] else {
        throw OptimizationError.missingBuffer(buffer: "shadow", parameter: name)
      }
      guard values.count == shadow[index].count else {
        throw OptimizationError.sizeMismatch(
          buffer: "shadow", parameter: name, expected: shadow[index].count, found: values.count)
      }
      restored[index] = values
    }
    shadow = restored
    updateCount = state.stepCount
  }
}
