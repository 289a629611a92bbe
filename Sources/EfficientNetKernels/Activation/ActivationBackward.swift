#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#elseif canImport(Musl)
  import Musl
#endif

/// Gradients of the pointwise ``Activation``s: `dX = dY · f'(x)` from the pre-activation `x`.
///
/// Derivatives follow PyTorch: ReLU passes the gradient where `x > 0` (0 at `x = 0`); ReLU6 where
/// `0 < x < 6` (0 at both kinks); SiLU `σ(x)·(1 + x·(1 − σ(x)))`; sigmoid `σ(x)·(1 − σ(x))`. For the
/// sigmoid, which is usually kept by its output (the squeeze-and-excitation gate),
/// ``sigmoidInputGradient(output:outputGradient:inputGradient:accumulate:pool:)`` takes `y = σ(x)`
/// instead.
public enum ActivationBackward {
  /// Values per parallel task; smaller buffers run on the calling thread.
  static let grain = 32_768

  /// The derivative `f'(x)` of one value (the scalar reference of the vector path).
  ///
  /// - Parameters:
  ///   - activation: the function `f`.
  ///   - x: the pre-activation value.
  @inlinable
  public static func derivative(of activation: Activation, at x: Float) -> Float {
    switch activation {
    case .identity: return 1
    case .relu: return x > 0 ? 1 : 0
    case .relu6: return x > 0 && x < 6 ? 1 : 0
    case .silu:
      let s = 1 / (1 + expf(-x))
      return s * (1 + x * (1 - s))
    case .sigmoid:
      let s = 1 / (1 + expf(-x))
      return s * (1 - s)
    }
  }

  /// `f'(x)` on eight lanes.
  @inline(__always)
  static func derivative(of activation: Activation, at x: SIMD8<Float>) -> SIMD8<Float> {
    let one = SIMD8<Float>(repeating: 1)
    let zero = SIMD8<Float>()
    switch activation {
    case .identity: return one
    case .relu: return one.replacing(with: zero, where: x .<= zero)
    case .relu6:
      return one.replacing(with: zero, where: (x .<= zero) .| (x .>= SIMD8<Float>(repeating: 6)))
    case .silu:
      let s = one / (one + VectorMath.exp(-x))
      return s * (one + x * (one - s))
    case .sigmoid:
      let s = one / (one + VectorMath.exp(-x))
      return s * (one - s)
    }
  }

  /// The input gradient `dX[i] (+)= dY[i] · f'(x[i])`.
  ///
  /// - Parameters:
  ///   - activation: the forward function `f`.
  ///   - preActivation: `x`, the forward input (any shape).
  ///   - outputGradient: `dY`, as many floats as `x`.
  ///   - inputGradient: `dX`, as many floats as `x`; may be the same memory as `dY` or `x`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func inputGradient(
    _ activation: Activation, preActivation: UnsafeBufferPointer<Float>,
    outputGradient: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>,
    accumulate: Bool, pool: ComputePool = .shared
  ) {
    precondition(
      preActivation.count == outputGradient.count && inputGradient.count == outputGradient.count,
      "pre-activation, output gradient and input gradient must have the same length")
    guard let x = preActivation.baseAddress, let dY = outputGradient.baseAddress,
      let dX = inputGradient.baseAddress
    else { return }
    pool.parallelRanges(outputGradient.count, grain: grain) { range in
      activation.withPointwiseFunction(
        GradientPass(x: x, dY: dY, dX: dX, range: range, accumulate: accumulate))
    }
  }

  /// `dX (+)= dY · f'(x)` over one range, with `f` fixed at compile time (no `switch` per vector and
  /// the constants in registers).
  struct GradientPass: PointwiseFunctionBody {
    let x: UnsafePointer<Float>
    let dY: UnsafePointer<Float>
    let dX: UnsafeMutablePointer<Float>
    let range: Range<Int>
    let accumulate: Bool

    func run<Function: PointwiseFunction>(_: Function.Type) {
      if accumulate { loop(Function.self, accumulate: true) } else { loop(Function.self, accumulate: false) }
    }

    @inline(__always)
    private func loop<Function: PointwiseFunction>(_: Function.Type, accumulate: Bool) {
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        var value =
          LaneAccess.load(dY + index) * derivative(of: Function.activation, at: LaneAccess.load(x + index))
        if accumulate { value += LaneAccess.load(dX + index) }
        LaneAccess.store(value, dX + index)
        index &+= 8
      }
      while index < range.upperBound {
        let value = dY[index] * derivative(of: Function.activation, at: x[index])
        dX[index] = accumulate ? dX[index] + value : value
        index &+= 1
      }
    }
  }

  /// The sigmoid's input gradient from its output: `dX[i] (+)= dY[i] · y[i] · (1 − y[i])`, `y = σ(x)`.
  ///
  /// - Parameters:
  ///   - output: `y = σ(x)` (any shape).
  ///   - outputGradient: `dY`, as many floats as `y`.
  ///   - inputGradient: `dX`, as many floats as `y`; may be the same memory as `dY` or `y`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  ///   - pool: the threads to use.
  public static func sigmoidInputGradient(
    output: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool = .shared
  ) {
    precondition(
      output.count == outputGradient.count && inputGradient.count == outputGradient.count,
      "output, output gradient and input gradient must have the same length")
    guard let y = output.baseAddress, let dY = outputGradient.baseAddress, let dX = inputGradient.baseAddress
    else { return }
    pool.parallelRanges(outputGradient.count, grain: grain) { range in
      var index = range.lowerBound
      while index &+ 8 <= range.upperBound {
        let s = LaneAccess.load(y + index)
        var value = LaneAccess.load(dY + index) * (s - s * s)
        if accumulate { value += LaneAccess.load(dX + index) }
        LaneAccess.store(value, dX + index)
        index &+= 8
      }
      while index < range.upperBound {
        let s = y[index]
        let value = dY[index] * (s - s * s)
        dX[index] = accumulate ? dX[index] + value : value
        index &+= 1
      }
    }
  }

  /// The naive twin of ``inputGradient(_:preActivation:outputGradient:inputGradient:accumulate:pool:)``:
  /// the scalar derivative, one value at a time, in `Double` where the function is smooth.
  ///
  /// - Parameters:
  ///   - activation: the forward function `f`.
  ///   - preActivation: `x`.
  ///   - outputGradient: `dY`.
  ///   - inputGradient: `dX`.
  ///   - accumulate: add to `dX` instead of overwriting it.
  public static func inputGradientReference(
    _ activation: Activation, preActivation: UnsafeBufferPointer<Float>,
    outputGradient: UnsafeBufferPointer<Float>, inputGradient: UnsafeMutableBufferPointer<Float>,
    accumulate: Bool
  ) {
    precondition(
      preActivation.count == outputGradient.count && inputGradient.count == outputGradient.count,
      "pre-activation, output gradient and input gradient must have the same length")
    for index in 0..<outputGradient.count {
      let x = Double(preActivation[index])
      let slope: Double
      switch activation {
      case .identity: slope = 1
      case .relu: slope = x > 0 ? 1 : 0
      case .relu6: slope = x > 0 && x < 6 ? 1 : 0
      case .silu:
        let s = 1 / (1 + exp(-x))
        slope = s * (1 + x * (1 - s))
      case .sigmoid:
        let s = 1 / (1 + exp(-x))
        slope = s * (1 - s)
      }
      let value = Float(Double(outputGradient[index]) * slope)
      inputGradient[index] = accumulate ? inputGradient[index] + value : value
    }
  }
}
