/// Unaligned eight-lane loads and stores on `Float` buffers, shared by the non-GEMM kernels.
enum LaneAccess {
  /// Loads `pointer[0..<8]`.
  @inline(__always)
  static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Loads `pointer[0..<8]`.
  @inline(__always)
  static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Stores `value` into `pointer[0..<8]`.
  @inline(__always)
  static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
  }
}
