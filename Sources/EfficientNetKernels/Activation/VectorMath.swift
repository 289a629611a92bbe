/// Vectorized transcendental functions for kernel epilogues.
public enum VectorMath {
  /// `exp(x)` on eight lanes, within about 2 ulp of `expf` over the float range; inputs below
  /// -87.3 give 0, above 88.7 give +infinity, and NaN stays NaN.
  ///
  /// Method: `exp(x) = 2^n · exp(r)` with `n = round(x / ln 2)` and `|r| ≤ ln2 / 2`; `r` is computed
  /// with ln 2 split in two (Cody–Waite) and `exp(r)` by a degree-6 polynomial (Taylor coefficients).
  @inlinable @inline(always)
  public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Everything below is lane-wise IEEE arithmetic, masks and bit casts: the generic stdlib helpers
    // (`clamped`, `rounded`, integer conversion) do not lower to vector instructions.
    var clamped = x.replacing(with: -87.3, where: x .< -87.3)
    clamped.replace(with: 88.7, where: clamped .> 88.7)
    // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits.
    let shifter = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + shifter
    let n = shifted - shifter
    // ln 2 = 0.693359375 - 2.12194440e-4 (the high part is exact in float).
    var r = clamped - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    let r2 = r * r
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    let e = 1 + r + r2 * p
    // 2^n = 2^h · 2^(n-h) with h = n/2, each factor built from exponent bits and in normal range.
    let whole = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = whole &>> 1
    let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scale2 = unsafeBitCast((whole &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    var result = e * scale1 * scale2
    result.replace(with: 0, where: x .< -87.3)
    result.replace(with: .infinity, where: x .> 88.7)
    result.replace(with: x, where: x .!= x)
    return result
  }
}
