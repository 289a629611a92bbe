/// effdet's `huber_loss` on one error: `½·q² + δ·(|e| − q)` with `q = min(|e|, δ)`, and its
/// derivative in the prediction (`e` inside `±δ`, else `±δ`; 0 at `e = 0`).
public struct HuberLoss: Sendable {
  /// Where the loss turns from quadratic to linear.
  public var delta: Double

  /// A Huber loss with effdet's default δ for boxes.
  public init(delta: Double = 0.1) { self.delta = delta }

  /// The loss of `error` (prediction − target) and its derivative.
  public func valueAndDerivative(error: Double) -> (value: Double, derivative: Double) {
    let magnitude = abs(error)
    let quadratic = min(magnitude, delta)
    let value = 0.5 * quadratic * quadratic + delta * (magnitude - quadratic)
    let derivative = magnitude <= delta ? error : (error > 0 ? delta : -delta)
    return (value, derivative)
  }
}
