/// RMSProp as TensorFlow implements it, the optimizer the EfficientNet paper trained with (decay 0.9,
/// momentum 0.9, ε 1e-3); the same semantics as timm's `RMSpropTF` with its defaults
/// (`lr_in_momentum=True`, `decoupled_decay=False`, not centered).
///
/// It differs from PyTorch's `RMSprop` in three ways: the mean square starts at one (TensorFlow
/// initializes it to ones), ε sits inside the square root, and the learning rate is folded into the
/// momentum buffer, so a change of rate takes effect gradually. Per element, with `g` the gradient,
/// `p` the value, `ρ` the decay, `μ` momentum, `λ` weight decay and `η` the learning rate:
/// ```
/// g ← g + λ·p                        (only for parameters with `decays`; L2 added to the gradient)
/// s ← s + (1 − ρ)·(g² − s)           (s starts at 1; TensorFlow's order of operations)
/// r ← √(s + ε)
/// b ← μ·b + η·g / r;  p ← p − b      (b starts at 0; without momentum: p ← p − η·g / r)
/// ```
public struct RMSPropTF: Optimizer {
  /// The name stored in ``OptimizerState/kind``.
  public static let kind = "RMSPropTF"

  /// Decay ρ of the mean square (TensorFlow's `decay`, PyTorch's `alpha`).
  public let decay: Double
  /// Momentum factor μ (0 disables momentum and its buffer).
  public let momentum: Double
  /// ε, added to the mean square inside the square root.
  public let epsilon: Double
  /// L2 weight decay λ added to the gradient of parameters whose `decays` is true.
  public let weightDecay: Double
  /// Steps taken so far.
  public private(set) var stepCount = 0
  private var squareAverages = ParameterBuffers()
  private var momentumBuffers = ParameterBuffers()

  /// Creates a TensorFlow-style RMSProp optimizer; the defaults are the paper's.
  ///
  /// - Parameters:
  ///   - decay: mean-square decay ρ in [0, 1) (paper 0.9).
  ///   - momentum: momentum factor μ ≥ 0 (paper 0.9).
  ///   - epsilon: ε > 0 inside the square root (paper 1e-3).
  ///   - weightDecay: L2 penalty λ ≥ 0 for decaying parameters (paper 1e-5).
  public init(decay: Double = 0.9, momentum: Double = 0.9, epsilon: Double = 1e-3, weightDecay: Double = 1e-5)
  {
    precondition(decay >= 0 && decay < 1, "RMSPropTF: decay must lie in [0, 1)")
    precondition(momentum >= 0 && epsilon > 0 && weightDecay >= 0, "RMSPropTF: invalid hyperparameters")
    self.decay = decay
    self.momentum = momentum
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// `RMSPropTF`.
  public var name: String { RMSPropTF.kind }

  /// Updates every parameter in place; see the type's formula.
  public mutating func step(_ parameters: [TrainableParameter], learningRate: Float) {
    checkUniqueNames(parameters)
    stepCount += 1
    let oneMinusDecay = Float(1 - decay)
    let momentum = Float(self.momentum)
    let epsilon = Float(self.epsilon)
    let usesMomentum = self.momentum > 0
    for parameter in parameters where parameter.count > 0 {
      let rate = scaledRate(learningRate, parameter)
      let weightDecay = parameter.decays ? Float(self.weightDecay) : 0
      let count = parameter.count
      var square = squareAverages.take(parameter.name, count: count, initialValue: 1).buffer
      // Without momentum the update goes straight into the values and the buffer stays empty.
      var buffer =
        usesMomentum ? momentumBuffers.take(parameter.name, count: count, initialValue: 0).buffer : []
      let (values, gradient) = parameter.pointers
      square.withUnsafeMutableBufferPointer { square in
        buffer.withUnsafeMutableBufferPointer { buffer in
          guard let square = square.baseAddress else { return }
          let buffer = buffer.baseAddress ?? square  // never read or written without momentum
          forEachUpdateRange(count) { range in
            UpdateLanes.forEachGroup(range) { index, lanes in
              let p = UpdateLanes.load(values, index, lanes)
              var g = UpdateLanes.load(gradient, index, lanes)
              if weightDecay != 0 { g = g + weightDecay * p }
              var s = UpdateLanes.load(square, index, lanes)
              s = s + oneMinusDecay * (g * g - s)
              UpdateLanes.store(s, square, index, lanes)
              let root = (s + epsilon).squareRoot()
              if usesMomentum {
                let b = momentum * UpdateLanes.load(buffer, index, lanes) + rate * (g / root)
                UpdateLanes.store(b, buffer, index, lanes)
                UpdateLanes.store(p - b, values, index, lanes)
              } else {
                UpdateLanes.store(p + -rate * (g / root), values, index, lanes)
              }
            }
          }
        }
      }
      squareAverages.put(square, for: parameter.name)
      if usesMomentum { momentumBuffers.put(buffer, for: parameter.name) }
    }
  }

  /// Hyperparameters, step count and the `square_average` and `momentum` buffers.
  public var state: OptimizerState {
    var buffers: [String: [String: [Float]]] = [:]
    if !squareAverages.storage.isEmpty { buffers["square_average"] = squareAverages.storage }
    if !momentumBuffers.storage.isEmpty { buffers["momentum"] = momentumBuffers.storage }
    return OptimizerState(
      kind: RMSPropTF.kind, stepCount: stepCount,
      hyperparameters: [
        "decay": hyperparameterText(decay), "momentum": hyperparameterText(momentum),
        "epsilon": hyperparameterText(epsilon),
        "weight_decay": hyperparameterText(weightDecay),
      ],
      buffers: buffers)
  }

  /// Restores step count, mean squares and momentum buffers saved by an `RMSPropTF`.
  ///
  /// - Throws: ``OptimizationError`` when the state is another algorithm's or does not fit `parameters`.
  public mutating func restore(_ state: OptimizerState, parameters: [TrainableParameter]) throws {
    try state.validate(
      kind: RMSPropTF.kind, allowedBuffers: ["square_average", "momentum"], parameters: parameters)
    let squares = state.buffers["square_average"] ?? [:]
    let momenta = state.buffers["momentum"] ?? [:]
    for name in momenta.keys where squares[name] == nil {
      throw OptimizationError.missingBuffer(buffer: "square_average", parameter: name)
    }
    if momentum > 0 {
      for name in squares.keys where momenta[name] == nil {
        throw OptimizationError.missingBuffer(buffer: "momentum", parameter: name)
      }
    }
    stepCount = state.stepCount
    squareAverages = ParameterBuffers(storage: squares)
    momentumBuffers = ParameterBuffers(storage: momentum > 0 ? momenta : [:])
  }
}
