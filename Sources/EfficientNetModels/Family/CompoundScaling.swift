import Foundation

/// The compound scaling rule of Tan & Le (2019): depth `α^φ`, width `β^φ`, resolution `γ^φ`.
public struct CompoundScaling: Equatable, Sendable {
  /// The depth base α.
  public var alpha: Double
  /// The width base β.
  public var beta: Double
  /// The resolution base γ.
  public var gamma: Double

  /// The coefficients the paper found by grid search on B0: α 1.2, β 1.1, γ 1.15.
  public static let paper = CompoundScaling(alpha: 1.2, beta: 1.1, gamma: 1.15)

  /// Creates a scaling rule from its three bases.
  public init(alpha: Double, beta: Double, gamma: Double) {
    self.alpha = alpha
    self.beta = beta
    self.gamma = gamma
  }

  /// The FLOPs growth factor of one step of φ, `α·β²·γ²` (about 2 for the paper's values).
  public var flopsFactor: Double { alpha * beta * beta * gamma * gamma }

  /// The depth multiplier `α^φ`.
  public func depthMultiplier(phi: Double) -> Double { pow(alpha, phi) }
  /// The width multiplier `β^φ`.
  public func widthMultiplier(phi: Double) -> Double { pow(beta, phi) }
  /// The resolution `baseResolution · γ^φ`, rounded to the nearest integer.
  public func resolution(phi: Double, baseResolution: Int = 224) -> Int {
    Int((Double(baseResolution) * pow(gamma, phi)).rounded())
  }

  /// Checks that every base is finite and at least 1 and that φ is finite and non-negative.
  public func validate(phi: Double) throws {
    for (name, value) in [("alpha", alpha), ("beta", beta), ("gamma", gamma)] {
      guard value.isFinite, value >= 1 else {
        throw ArchitectureError.invalidValue(name: name, value: "\(value)", reason: "must be finite and ≥ 1")
      }
    }
    guard phi.isFinite, phi >= 0 else {
      throw ArchitectureError.invalidValue(name: "phi", value: "\(phi)", reason: "must be finite and ≥ 0")
    }
  }
}

/// The width and depth rounding rules shared by every scaled EfficientNet.
public enum ScalingRules {
  /// Scales a channel count by `multiplier` and rounds it to a multiple of `divisor` (at least
  /// `divisor`), adding one more `divisor` when rounding lost more than 10%.
  public static func roundChannels(_ channels: Int, multiplier: Double, divisor: Int = 8) -> Int {
    let value = Double(channels) * multiplier
    var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * value {
      rounded += divisor
    }
    return rounded
  }

  /// Scales a repeat count by `multiplier`, rounding up.
  public static func roundRepeats(_ repeats: Int, multiplier: Double) -> Int {
    Int((Double(repeats) * multiplier).rounded(.up))
  }
}
