import Foundation

/// Adam with decoupled weight decay (PyTorch `torch.optim.AdamW` semantics, not AMSGrad).
///
/// Per element, with `g` the gradient, `p` the value, `t` the parameter's step (from 1), `λ` weight
/// decay and `η` the learning rate:
/// ```
/// p ← p·(1 − η·λ)                         (only for parameters with `decays`)
/// m ← m + (1 − β₁)·(g − m);  v ← β₂·v + (1 − β₂)·g²      (both start at 0)
/// p ← p − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// Scalars (`1 − η·λ`, the bias corrections) are computed in double precision, as PyTorch does in
/// Python, then rounded to float.
public struct AdamW: Optimizer {
  /// The name stored in ``OptimizerState/kind``.
  public static let kind = "AdamW"

  /// Decay β₁ of the first moment.
  public let beta1: Double
  /// Decay β₂ of the second moment.
  public let beta2: Double
  /// ε added to the bias-corrected root of the second moment (outside the square root).
  public let epsilon: Double
  /// Decoupled weight decay λ for parameters whose `decays` is true.
  public let weightDecay: Double
  /// Steps taken so far.
  public private(set) var stepCount = 0
  private var firstMoments = ParameterBuffers()
  private var secondMoments = ParameterBuffers()
  private var parameterSteps: [String: Int] = [:]

  /// Creates an AdamW optimizer; the defaults are PyTorch's.
  ///
  /// - Parameters:
  ///   - beta1: first-moment decay β₁ in [0, 1).
  ///   - beta2: second-moment decay β₂ in [0, 1).
  ///   - epsilon: ε > 0.
  ///   - weightDecay: decoupled decay λ ≥ 0 for decaying parameters.
  public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01)
  {
    precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "AdamW: betas must lie in [0, 1)")
    precondition(epsilon > 0 && weightDecay >= 0, "AdamW: invalid epsilon or weight decay")
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// `AdamW`.
  public var name: String { AdamW.kind }

  /// Updates every parameter in place; see the type's formula.
  public mutating func step(_ parameters: [TrainableParameter], learningRate: Float) {
    checkUniqueNames(parameters)
    stepCount += 1
    let oneMinusBeta1 = Float(1 - beta1)
    let beta2 = Float(self.beta2)
    let oneMinusBeta2 = Float(1 - self.beta2)
    let epsilon = Float(self.epsilon)
    for parameter in parameters where parameter.count > 0 {
      let rate = Double(scaledRate(learningRate, parameter))
      let step = (parameterSteps[parameter.name] ?? 0) + 1
      parameterSteps[parameter.name] = step
      let shrink = Float(1 - rate * weightDecay)
      let decays = parameter.decays && weightDecay != 0
      let stepSize = Float(rate / (1 - pow(self.beta1, Double(step))))
      let correctionRoot = Float((1 - pow(self.beta2, Double(step))).squareRoot())
      let count = parameter.count
      var first = firstMoments.take(parameter.name, count: count, initialValue: 0).buffer
      var second = secondMoments.take(parameter.name, count: count, initialValue: 0).buffer
      let (values, gradient) = parameter.pointers
      first.withUnsafeMutableBufferPointer { first in
        second.withUnsafeMutableBufferPointer { second in
          guard let first = first.baseAddress, let second = second.baseAddress else { return }
          forEachUpdateRange(count) { range in
            UpdateLanes.forEachGroup(range) { index, lanes in
              let g = UpdateLanes.load(gradient, index, lanes)
              var p = UpdateLanes.load(values, index, lanes)
              if decays { p = p * shrink }
              var m = UpdateLanes.load(first, index, lanes)
              m = m + oneMinusBeta1 * (g - m)
              let v = UpdateLanes.load(second, index, lanes) * beta2 + oneMinusBeta2 * (g * g)
              UpdateLanes.store(m, first, index, lanes)
              UpdateLanes.store(v, second, index, lanes)
              let denominator = v.squareRoot() / correctionRoot + epsilon
              UpdateLanes.store(p + -stepSize * (m / denominator), values, index, lanes)
            }
          }
        }
      }
      firstMoments.put(first, for: parameter.name)
      secondMoments.put(second, for: parameter.name)
    }
  }

  /// Hyperparameters, step counts and the `first_moment` and `second_moment` buffers.
  public var state: OptimizerState {
    var buffers: [String: [String: [Float]]] = [:]
    if !firstMoments.storage.isEmpty { buffers["first_moment"] = firstMoments.storage }
    if !secondMoments.storage.isEmpty { buffers["second_moment"] = secondMoments.storage }
    return OptimizerState(
      kind: AdamW.kind, stepCount: stepCount,
      hyperparameters: [
        "beta1": hyperparameterText(beta1), "beta2": hyperparameterText(beta2),
        "epsilon": hyperparameterText(epsilon),
        "weight_decay": hyperparameterText(weightDecay),
      ],
      buffers: buffers, parameterSteps: parameterSteps)
  }

  /// Restores step counts and moments saved by an `AdamW`.
  ///
  /// - Throws: ``OptimizationError`` when the state is another algorithm's, does not fit `parameters`,
  ///   or lacks a step count for a parameter with moments.
  public mutating func restore(_ state: OptimizerState, parameters: [TrainableParameter]) throws {
    try state.validate(
      kind: AdamW.kind, allowedBuffers: ["first_moment", "second_moment"], parameters: parameters)
    let first = state.buffers["first_moment"] ?? [:]
    let second = state.buffers["second_moment"] ?? [:]
    for name in first.keys where second[name] == nil {
      throw OptimizationError.missingBuffer(buffer: "second_moment", parameter: name)
    }
    for name in second.keys where first[name] == nil {
      throw OptimizationError.missingBuffer(buffer: "first_moment", parameter: name)
    }
    for name in first.keys where state.parameterSteps[name] == nil {
      throw OptimizationError.missingParameterStep(parameter: name)
    }
    stepCount = state.stepCount
    firstMoments = ParameterBuffers(storage: first)
    secondMoments = ParameterBuffers(storage: second)
    parameterSteps = state.parameterSteps.filter { first[$0.key] != nil }
  }
}
