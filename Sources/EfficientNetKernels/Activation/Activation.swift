/// The pointwise nonlinearities of EfficientNet, applied in kernel epilogues.
public enum Activation: String, Sendable, CaseIterable {
  /// `x`.
  case identity
  /// `max(x, 0)`.
  case relu
  /// `min(max(x, 0), 6)` (EfficientNet-Lite).
  case relu6
  /// Swish / SiLU: `x * sigmoid(x)`.
  case silu
  /// `1 / (1 + exp(-x))` (the squeeze-and-excitation gate).
  case sigmoid

  /// Applies the activation to one value (the reference the vector path is tested against).
  @inlinable
  public func apply(_ x: Float) -> Float {
    switch self {
    case .identity: return x
    case .relu: return max(x, 0)
    case .relu6: return min(max(x, 0), 6)
    case .silu: return x / (1 + expf(-x))
    case .sigmoid: return 1 / (1 + expf(-x))
    }
  }

  /// Applies the activation to eight lanes at once.
  @inlinable @inline(always)
  public func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
    switch self {
    case .identity: return x
    case .relu: return x.replacing(with: 0, where: x .< 0)
    case .relu6:
      let low = x.replacing(with: 0, where: x .< 0)
      return low.replacing(with: 6, where: low .> 6)
    case .silu: return x / (1 + VectorMath.expNegated(x))
    case .sigmoid: return 1 / (1 + VectorMath.expNegated(x))
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#elseif canImport(Musl)
  import Musl
#endif
