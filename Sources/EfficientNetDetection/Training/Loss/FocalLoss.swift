import Foundation

/// effdet's `new_focal_loss` on one logit, before normalization, and its derivative in the logit:
/// `α_t · (1 − p_t)^γ · BCE(x, t')` with `p = σ(x)`, `p_t = t·p + (1−t)·(1−p)`,
/// `α_t = t·α + (1−t)·(1−α)` and `t' = t·(1 − s) + s/2` (label smoothing `s`).
public struct FocalLoss: Sendable {
  /// The weight of positives (negatives get `1 − alpha`).
  public var alpha: Double
  /// The focusing exponent.
  public var gamma: Double
  /// The label smoothing of the cross entropy's target (not of `p_t` or `α_t`, as effdet).
  public var labelSmoothing: Double

  /// A focal loss with effdet's defaults.
  public init(alpha: Double = 0.25, gamma: Double = 1.5, labelSmoothing: Double = 0) {
    self.alpha = alpha
    self.gamma = gamma
    self.labelSmoothing = labelSmoothing
  }

  /// The loss of `logit` against `target` (0 or 1) and its derivative in the logit.
  public func valueAndDerivative(logit: Double, target: Double) -> (value: Double, derivative: Double) {
    // One exponential serves the sigmoid and the cross entropy: e^(−|x|).
    let decay = exp(-abs(logit))
    let probability = logit >= 0 ? 1 / (1 + decay) : decay / (1 + decay)
    let complement = 1 - target
    let probabilityOfTarget = target * probability + complement * (1 - probability)
    let alphaFactor = target * alpha + complement * (1 - alpha)
    let miss = 1 - probabilityOfTarget
    // (1 − p_t)^γ and (1 − p_t)^(γ−1); effdet's γ of 1.5 needs only a square root.
    let modulating: Double
    let slopePower: Double
    if gamma == 1.5 {
      slopePower = miss.squareRoot()
      modulating = miss * slopePower
    } else {
      modulating = pow(miss, gamma)
      slopePower = miss > 0 ? modulating / miss : 0
    }
    let smoothedTarget = labelSmoothing > 0 ? target * (1 - labelSmoothing) + 0.5 * labelSmoothing : target
    // binary_cross_entropy_with_logits: max(x, 0) − x·t + log(1 + e^(−|x|)).
    let crossEntropy = max(logit, 0) - logit * smoothedTarget + log1p(decay)
    // d(1 − p_t)/dx = (1 − 2t)·p·(1 − p); d BCE/dx = p − t'.
    let missSlope = miss > 0 ? gamma * slopePower * (1 - 2 * target) * probability * (1 - probability) : 0
    let derivative = alphaFactor * (missSlope * crossEntropy + modulating * (probability - smoothedTarget))
    return (alphaFactor * modulating * crossEntropy, derivative)
  }
}
