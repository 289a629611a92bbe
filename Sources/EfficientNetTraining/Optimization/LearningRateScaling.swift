/// A peak learning rate that follows the batch size: `base` at `referenceBatch` images per step,
/// scaled for other batches by ``Rule``.
///
/// The paper's RMSProp rate (0.016 at 256, linear) and Goyal et al.'s SGD rule (0.1 at 256, linear)
/// are ``standard(for:)``; adaptive optimizers are usually scaled by the square root of the batch
/// ratio instead (Hoffer et al., 2017), which is what the fine-tuning and from-scratch recipes use.
public struct LearningRateScaling: Sendable, Equatable, Codable {
  /// How the rate changes with the batch size.
  public enum Rule: String, Sendable, Equatable, Codable, CaseIterable {
    /// Proportional to the batch size.
    case linear
    /// Proportional to the square root of the batch size.
    case squareRoot = "sqrt"
    /// The same rate for every batch size.
    case none
  }

  /// The rate at ``referenceBatch``.
  public var base: Double
  /// The batch size `base` is given for.
  public var referenceBatch: Int
  /// How the rate follows the batch size.
  public var rule: Rule

  /// Creates a scaling rule.
  public init(base: Double, referenceBatch: Int, rule: Rule) {
    self.base = base
    self.referenceBatch = max(1, referenceBatch)
    self.rule = rule
  }

  /// The peak rate for batches of `batchSize`.
  public func rate(batchSize: Int) -> Float {
    let ratio = Double(batchSize) / Double(referenceBatch)
    switch rule {
    case .linear: return Float(base * ratio)
    case .squareRoot: return Float(base * ratio.squareRoot())
    case .none: return Float(base)
    }
  }

  /// How `rate(batchSize:)` was reached, e.g. "0.005 at batch 32, scaled by sqrt(batch / 32)".
  public var explanation: String {
    switch rule {
    case .linear: return "\(base) at batch \(referenceBatch), scaled by batch / \(referenceBatch)"
    case .squareRoot: return "\(base) at batch \(referenceBatch), scaled by sqrt(batch / \(referenceBatch))"
    case .none: return "\(base) at any batch size"
    }
  }

  /// Each optimizer's customary rate: the paper's RMSProp 0.016 per 256 images, SGD's 0.1 per 256
  /// (both linear), AdamW's 1e-3 (unscaled).
  public static func standard(for optimizer: OptimizerKind) -> LearningRateScaling {
    switch optimizer {
    case .rmsprop: return LearningRateScaling(base: 0.016, referenceBatch: 256, rule: .linear)
    case .sgd: return LearningRateScaling(base: 0.1, referenceBatch: 256, rule: .linear)
    case .adamw: return LearningRateScaling(base: 1e-3, referenceBatch: 256, rule: .none)
    }
  }
}
