/// Unaligned eight-lane loads and stores on `Float` buffers, shared by the non-GEMM kernels.
///
/// All guaranteed inline (`@inline(always)`): with the weaker `@inline(__always)`, a large specialized
/// kernel can exceed the compiler's inlining budget and keep a load as a call, spilling its vector
/// registers around every one.
enum LaneAccess {
  /// Loads `pointer[0..<8]`.
  @inline(always)
  static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Loads `pointer[0..<8]`.
  @inline(always)
  static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Stores `value` into `pointer[0..<8]`.
  @inline(always)
  static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
  }

  /// Loads a whole vector of any width from `pointer` (no alignment needed).
  @inline(always)
  static func load<Vector: SIMD>(_ pointer: UnsafePointer<Float>) -> Vector where Vector.Scalar == Float {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
  }

  /// Stores a whole vector of any width into `pointer`.
  @inline(always)
  static func store<Vector: SIMD>(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>)
  where Vector.Scalar == Float {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
  }

  /// Stores four vectors `stride` floats apart, starting at `pointer`.
  @inline(always)
  static func storeFour<Vector: SIMD>(
    _ values: (Vector, Vector, Vector, Vector), _ pointer: UnsafeMutablePointer<Float>, stride: Int
  ) where Vector.Scalar == Float {
    store(values.0, pointer)
    store(values.1, pointer + stride)
    store(values.2, pointer + 2 &* stride)
    store(values.3, pointer + 3 &* stride)
  }
}
