/// Stochastic gradient descent with optional momentum and Nesterov momentum (PyTorch `torch.optim.SGD`
/// semantics).
///
/// Per element, with `g` the gradient, `p` the value, `μ` momentum, `d` dampening, `λ` weight decay and
/// `η` the learning rate:
/// ```
/// g ← g + λ·p                      (only for parameters with `decays`; L2 added to the gradient)
/// b ← g on a parameter's first step, else μ·b + (1 − d)·g     (only when μ ≠ 0)
/// u ← g + μ·b with Nesterov, else b (or g when μ = 0)
/// p ← p − η·u
/// ```
public struct SGD: Optimizer {
  /// The name stored in ``OptimizerState/kind``.
  public static let kind = "SGD"

  /// Momentum factor μ (0 disables momentum and its buffer).
  public let momentum: Double
  /// Dampening d of the gradient added to the momentum buffer after the first step.
  public let dampening: Double
  /// Whether to use Nesterov momentum (needs μ > 0 and d = 0).
  public let nesterov: Bool
  /// L2 weight decay λ added to the gradient of parameters whose `decays` is true.
  public let weightDecay: Double
  /// Steps taken so far.
  public private(set) var stepCount = 0
  private var momentumBuffers = ParameterBuffers()

  /// Creates an SGD optimizer.
  ///
  /// - Parameters:
  ///   - momentum: momentum factor μ ≥ 0 (PyTorch default 0).
  ///   - dampening: dampening d (PyTorch default 0).
  ///   - nesterov: Nesterov momentum; requires `momentum > 0` and `dampening == 0`.
  ///   - weightDecay: L2 penalty λ ≥ 0 for decaying parameters.
  public init(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
    precondition(momentum >= 0 && weightDecay >= 0, "SGD: momentum and weight decay must be non-negative")
    precondition(
      !nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum and no dampening")
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  /// `SGD`.
  public var name: String { SGD.kind }

  /// Updates every parameter in place; see the type's formula.
  public mutating func step(_ parameters: [TrainableParameter], learningRate: Float) {
    checkUniqueNames(parameters)
    stepCount += 1
    let momentum = Float(self.momentum)
    let keep = Float(1 - dampening)
    let nesterov = self.nesterov
    for parameter in parameters where parameter.count > 0 {
      let negativeRate = -scaledRate(learningRate, parameter)
      let decay = parameter.decays ? Float(weightDecay) : 0
      let count = parameter.count
      if self.momentum == 0 {
        let (values, gradient) = parameter.pointers
        forEachUpdateRange(count) { range in
          UpdateLanes.forEachGroup(range) { index, lanes in
            let p = UpdateLanes.load(values, index, lanes)
            var g = UpdateLanes.load(gradient, index, lanes)
            if decay != 0 { g = g + decay * p }
            UpdateLanes.store(p + negativeRate * g, values, index, lanes)
          }
        }
        continue
      }
      var (buffer, first) = momentumBuffers.take(parameter.name, count: count, initialValue: 0)
      let (values, gradient) = parameter.pointers
      buffer.withUnsafeMutableBufferPointer { buffer in
        guard let buffer = buffer.baseAddress else { return }
        forEachUpdateRange(count) { range in
          UpdateLanes.forEachGroup(range) { index, lanes in
            let p = UpdateLanes.load(values, index, lanes)
            var g = UpdateLanes.load(gradient, index, lanes)
            if decay != 0 { g = g + decay * p }
            let b = first ? g : momentum * UpdateLanes.load(buffer, index, lanes) + keep * g
            UpdateLanes.store(b, buffer, index, lanes)
            let update = nesterov ? g + momentum * b : b
            UpdateLanes.store(p + negativeRate * update, values, index, lanes)
          }
        }
      }
      momentumBuffers.put(buffer, for: parameter.name)
    }
  }

  /// Hyperparameters, step count and the `momentum` buffers.
  public var state: OptimizerState {
    OptimizerState(
      kind: SGD.kind, stepCount: stepCount,
      hyperparameters: [
        "momentum": hyperparameterText(momentum), "dampening": hyperparameterText(dampening),
        "nesterov": String(nesterov),
        "weight_decay": hyperparameterText(weightDecay),
      ],
      buffers: momentumBuffers.storage.isEmpty ? [:] : ["momentum": momentumBuffers.storage])
  }

  /// Restores step count and momentum buffers saved by an `SGD`.
  ///
  /// - Throws: ``OptimizationError`` when the state is another algorithm's or does not fit `parameters`.
  public mutating func restore(_ state: OptimizerState, parameters: [TrainableParameter]) throws {
    try state.validate(kind: SGD.kind, allowedBuffers: ["momentum"], parameters: parameters)
    stepCount = state.stepCount
    momentumBuffers = ParameterBuffers(storage: state.buffers["momentum"] ?? [:])
  }
}
