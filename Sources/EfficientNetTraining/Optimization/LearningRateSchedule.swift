import Foundation

/// The learning rate as a function of training progress.
///
/// Progress is measured in epochs, fractional within an epoch (`step / stepsPerEpoch`), so the rate
/// changes every step. The warm-up rises linearly from `warmupStartRate` to `baseRate` over
/// `warmupEpochs`; the decay that follows is computed from epoch 0, not from the end of the warm-up
/// (the paper's TensorFlow `build_learning_rate`, and timm's schedulers without `warmup_prefix`), so the
/// warm-up simply replaces the decay's first epochs. TensorFlow warms up from 0; timm from
/// `warmup_lr_init` (its train script's `--warmup-lr`, 1e-5).
public enum LearningRateSchedule: Equatable, Sendable {
  /// The same rate throughout.
  case constant(rate: Float)
  /// Linear warm-up, then half a cosine from `baseRate` at epoch 0 to `minimumRate` at `totalEpochs`
  /// (and `minimumRate` after it): `minimum + (base − minimum)·(1 + cos(π·e / total)) / 2`.
  case warmupCosine(
    baseRate: Float, warmupEpochs: Double, totalEpochs: Double, minimumRate: Float = 0,
    warmupStartRate: Float = 0)
  /// Linear warm-up, then exponential decay `baseRate·decayRate^(e / decayEpochs)`, the exponent rounded
  /// down when `staircase` (the paper: ×0.97 every 2.4 epochs after 5 warm-up epochs).
  case warmupExponential(
    baseRate: Float, warmupEpochs: Double, decayRate: Double = 0.97, decayEpochs: Double = 2.4,
    staircase: Bool = true, warmupStartRate: Float = 0)

  /// The paper's peak learning rate for a batch size: 0.016 × batch / 256.
  ///
  /// - Parameter batchSize: the total batch size over all workers (> 0).
  public static func paperBaseRate(batchSize: Int) -> Float {
    precondition(batchSize > 0, "batch size must be positive")
    return Float(0.016 * Double(batchSize) / 256)
  }

  /// The paper's schedule for a batch size: 5 warm-up epochs from 0 to 0.016 × batch / 256, then ×0.97
  /// every 2.4 epochs (staircase).
  ///
  /// - Parameter batchSize: the total batch size over all workers (> 0).
  public static func paper(batchSize: Int) -> LearningRateSchedule {
    .warmupExponential(
      baseRate: paperBaseRate(batchSize: batchSize), warmupEpochs: 5, decayRate: 0.97, decayEpochs: 2.4,
      staircase: true)
  }

  /// The learning rate at a fractional epoch `epoch ≥ 0` (`step / stepsPerEpoch`).
  public func rate(epoch: Double) -> Float {
    rate(epoch: epoch, decayPeriods: nil, warmsUp: true)
  }

  /// The learning rate of optimizer step `step` (counting from 0), with `stepsPerEpoch` steps an epoch.
  ///
  /// The same as `rate(epoch: step / stepsPerEpoch)`, except that whole steps are counted as TensorFlow
  /// does: the warm-up lasts `⌊warmupEpochs·stepsPerEpoch⌋` steps and staircase periods are
  /// `⌊step / (stepsPerEpoch·decayEpochs)⌋`, so every boundary falls on the same step as there.
  public func rate(step: Int, stepsPerEpoch: Int) -> Float {
    precondition(step >= 0 && stepsPerEpoch > 0, "step must be ≥ 0 and steps per epoch > 0")
    let epoch = Double(step) / Double(stepsPerEpoch)
    switch self {
    case .constant(let rate):
      return rate
    case .warmupCosine(let base, let warmupEpochs, _, _, let start),
      .warmupExponential(let base, let warmupEpochs, _, _, _, let start):
      let warmupSteps = Int((warmupEpochs * Double(stepsPerEpoch)).rounded(.down))
      if step < warmupSteps {
        return Float(Double(start) + (Double(base) - Double(start)) * Double(step) / Double(warmupSteps))
      }
    }
    if case .warmupExponential(_, _, _, let decayEpochs, true, _) = self {
      let periods = (Double(step) / (Double(stepsPerEpoch) * decayEpochs)).rounded(.down)
      return rate(epoch: epoch, decayPeriods: periods, warmsUp: false)
    }
    return rate(epoch: epoch, decayPeriods: nil, warmsUp: false)
  }

  /// The rate at `epoch`; `decayPeriods` overrides the staircase exponent when given, and `warmsUp`
  /// false skips the warm-up (the caller has handled it).
  private func rate(epoch: Double, decayPeriods: Double?, warmsUp: Bool) -> Float {
    precondition(epoch >= 0 && epoch.isFinite, "epoch must be finite and ≥ 0, got \(epoch)")
    switch self {
    case .constant(let rate):
      return rate
    case .warmupCosine(let base, let warmupEpochs, let totalEpochs, let minimum, let start):
      precondition(totalEpochs > 0, "cosine schedule needs total epochs > 0")
      if warmsUp && epoch < warmupEpochs { return Self.warmup(epoch, warmupEpochs, start, base) }
      if epoch >= totalEpochs { return minimum }
      let cosine = (1 + cos(Double.pi * epoch / totalEpochs)) / 2
      return Float(Double(minimum) + (Double(base) - Double(minimum)) * cosine)
    case .warmupExponential(
      let base, let warmupEpochs, let decayRate, let decayEpochs, let staircase, let start):
      precondition(decayEpochs > 0, "exponential schedule needs decay epochs > 0")
      if warmsUp && epoch < warmupEpochs { return Self.warmup(epoch, warmupEpochs, start, base) }
      var exponent = epoch / decayEpochs
      if staircase { exponent = decayPeriods ?? exponent.rounded(.down) }
      return Float(Double(base) * pow(decayRate, exponent))
    }
  }

  /// Linear interpolation from `start` at epoch 0 to `base` at `warmupEpochs`.
  private static func warmup(_ epoch: Double, _ warmupEpochs: Double, _ start: Float, _ base: Float) -> Float
  {
    Float(Double(start) + (Double(base) - Double(start)) * epoch / warmupEpochs)
  }
}
