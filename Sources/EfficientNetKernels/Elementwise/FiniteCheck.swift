extension Elementwise {
  /// Whether every value is finite (no NaN, no ±∞), eight lanes at a time.
  ///
  /// `x − x` is 0 for every finite `x` and NaN otherwise, and NaN survives addition, so one running
  /// sum per lane answers for the whole buffer without a branch per value.
  public static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
    guard let base = values.baseAddress else { return true }
    let count = values.count
    var lanes = SIMD8<Float>()
    var index = 0
    while index &+ 8 <= count {
      let x = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
      lanes += x - x
      index &+= 8
    }
    var tail: Float = 0
    while index < count {
      tail += base[index] - base[index]
      index &+= 1
    }
    return (lanes.sum() + tail) == 0
  }
}
