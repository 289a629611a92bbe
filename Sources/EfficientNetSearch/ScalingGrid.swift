import EfficientNetModels
import Foundation

/// One point of the scaling search: depth, width and resolution bases at φ = 1.
public struct ScalingCandidate: Equatable, Sendable, Codable {
  /// What a candidate scales.
  public enum Kind: String, Sendable, Codable {
    /// Two or three dimensions together (the paper's compound scaling).
    case compound
    /// Depth alone (the paper's control, α = target).
    case depthOnly = "depth-only"
    /// Width alone (β = √target).
    case widthOnly = "width-only"
    /// Resolution alone (γ = √target).
    case resolutionOnly = "resolution-only"
  }

  /// The depth base α.
  public var alpha: Double
  /// The width base β.
  public var beta: Double
  /// The resolution base γ.
  public var gamma: Double
  /// Compound or a single-dimension control.
  public var kind: Kind

  /// Creates a candidate.
  public init(alpha: Double, beta: Double, gamma: Double, kind: Kind = .compound) {
    self.alpha = alpha
    self.beta = beta
    self.gamma = gamma
    self.kind = kind
  }

  /// The FLOPs factor the formula predicts, `α·β²·γ²`.
  public var flopsFactor: Double { alpha * beta * beta * gamma * gamma }

  /// The scaling rule of this candidate.
  public var scaling: CompoundScaling { CompoundScaling(alpha: alpha, beta: beta, gamma: gamma) }

  /// A stable name, e.g. `a1.20-b1.10-g1.15` (also the candidate's folder name).
  public var label: String { "a\(Self.compact(alpha))-b\(Self.compact(beta))-g\(Self.compact(gamma))" }

  /// Up to four decimals, trailing zeros dropped past the second: 1.20, 1.15, 1.4142.
  static func compact(_ value: Double) -> String {
    var text = String(format: "%.4f", value)
    while text.hasSuffix("0") && text.count > 4 { text.removeLast() }
    return text
  }
}

/// The paper's grid search space: every (α, β, γ) on a grid of `step` from 1 whose FLOPs factor
/// `α·β²·γ²` lies within `tolerance` of `target`, plus the single-dimension controls.
public enum ScalingGrid {
  /// The most grid points one search walks (the grid is costed before it is enumerated).
  public static let maximumGridPoints = 2_000_000

  /// Enumerates the compound candidates, ordered by α, then β, then γ.
  ///
  /// - Parameters:
  ///   - step: The grid spacing (e.g. 0.05), in (0, 1].
  ///   - target: The FLOPs factor of φ = 1 (the paper's 2), greater than 1.
  ///   - tolerance: How far `α·β²·γ²` may be from `target`, at least 0.
  ///   - includeSingleDimension: Whether grid points that scale one dimension only are kept.
  /// - Throws: ``SearchError/invalidOption(_:_:)`` for an out-of-range argument.
  public static func candidates(
    step: Double, target: Double, tolerance: Double, includeSingleDimension: Bool = false
  ) throws -> [ScalingCandidate] {
    guard step > 0 && step <= 1 && step.isFinite else {
      throw SearchError.invalidOption("--grid-step", "must be in (0, 1], got \(step)")
    }
    guard target > 1 && target.isFinite else {
      throw SearchError.invalidOption("--target", "must be greater than 1, got \(target)")
    }
    guard tolerance >= 0 && tolerance.isFinite else {
      throw SearchError.invalidOption("--tolerance", "must be at least 0, got \(tolerance)")
    }
    // The grid is costed before it is walked: α takes (upper − 1)/step + 1 values, β and γ at most
    // (√upper − 1)/step + 1 each.
    let limit = target + tolerance
    let alphaCount = (limit - 1) / step + 1
    let rootCount = (limit.squareRoot() - 1) / step + 1
    let visited = alphaCount * rootCount * rootCount
    guard visited <= Double(maximumGridPoints) else {
      throw SearchError.invalidOption(
        "--grid-step",
        String(
          format: "with --target %g and --tolerance %g, a step of %g spans about %.3g grid points, more than "
            + "the %d this search walks; raise --grid-step or lower --target/--tolerance",
          target, tolerance, step, visited, maximumGridPoints))
    }
    // Grid values 1, 1 + step, …; α ≤ target + tolerance, β and γ ≤ √(target + tolerance).
    func values(upTo limit: Double) -> [Double] {
      var result: [Double] = []
      var index = 0
      while true {
        // Rounded to 1e-9 so that 1 + 3·0.05 prints and compares as 1.15.
        let value = ((1 + Double(index) * step) * 1e9).rounded() / 1e9
        if value > limit + 1e-12 { break }
        result.append(value)
        index += 1
      }
      return result
    }
    let upper = target + tolerance
    var found: [ScalingCandidate] = []
    for alpha in values(upTo: upper) {
      for beta in values(upTo: (upper / alpha).squareRoot()) {
        for gamma in values(upTo: (upper / (alpha * beta * beta)).squareRoot()) {
          let candidate = ScalingCandidate(alpha: alpha, beta: beta, gamma: gamma)
          guard abs(candidate.flopsFactor - target) <= tolerance + 1e-12 else { continue }
          let scaled = [alpha, beta, gamma].filter { $0 > 1 }.count
          if scaled < 2 && !includeSingleDimension { continue }
          found.append(candidate)
        }
      }
    }
    return found
  }

  /// The paper's control experiment at the same FLOPs factor: depth ×target, width ×√target,
  /// resolution ×√target.
  public static func singleDimensionControls(target: Double) -> [ScalingCandidate] {
    let root = target.squareRoot()
    return [
      ScalingCandidate(alpha: target, beta: 1, gamma: 1, kind: .depthOnly),
      ScalingCandidate(alpha: 1, beta: root, gamma: 1, kind: .widthOnly),
      ScalingCandidate(alpha: 1, beta: 1, gamma: root, kind: .resolutionOnly),
    ]
  }
}

/// A search's failure, naming the option or file at fault.
public enum SearchError: Error, CustomStringConvertible, Equatable {
  /// An option out of range.
  case invalidOption(String, String)
  /// The folder holds a search made with other settings.
  case settingsChanged(directory: String, differences: [String])
  /// A results file that cannot be read or written.
  case file(String, String)

  /// A message naming the option or file.
  public var description: String {
    switch self {
    case .invalidOption(let option, let reason): return "\(option) \(reason)"
    case .settingsChanged(let directory, let differences):
      return "\(directory) holds a search run with other settings (\(differences.joined(separator: "; "))); "
        + "use another --output folder or the same options"
    case .file(let path, let reason): return "\(path): \(reason)"
    }
  }
}
