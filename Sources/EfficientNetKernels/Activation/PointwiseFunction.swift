/// An ``Activation`` fixed at compile time, so loops over many values carry no per-value `switch`.
///
/// Kernels dispatch once with ``Activation/withPointwiseFunction(_:)`` and run a loop specialized for
/// the chosen function.
protocol PointwiseFunction {
  /// The activation this type stands for.
  static var activation: Activation { get }
}

extension PointwiseFunction {
  @inline(__always)
  static func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { activation.apply(x) }

  @inline(__always)
  static func apply(_ x: Float) -> Float { activation.apply(x) }
}

enum IdentityFunction: PointwiseFunction {
  static var activation: Activation { .identity }
}

enum ReluFunction: PointwiseFunction {
  static var activation: Activation { .relu }
}

enum Relu6Function: PointwiseFunction {
  static var activation: Activation { .relu6 }
}

enum SiluFunction: PointwiseFunction {
  static var activation: Activation { .silu }
}

enum SigmoidFunction: PointwiseFunction {
  static var activation: Activation { .sigmoid }
}

/// A loop body generic over the activation function (Swift has no generic closures).
protocol PointwiseFunctionBody {
  associatedtype Result
  func run<Function: PointwiseFunction>(_ function: Function.Type) -> Result
}

extension Activation {
  /// Runs `body` specialized for this activation.
  @inline(__always)
  func withPointwiseFunction<Body: PointwiseFunctionBody>(_ body: Body) -> Body.Result {
    switch self {
    case .identity: return body.run(IdentityFunction.self)
    case .relu: return body.run(ReluFunction.self)
    case .relu6: return body.run(Relu6Function.self)
    case .silu: return body.run(SiluFunction.self)
    case .sigmoid: return body.run(SigmoidFunction.self)
    }
  }
}
