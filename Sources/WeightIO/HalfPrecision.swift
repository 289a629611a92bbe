/// Exact conversions between `Float` and the 16-bit float formats stored in checkpoints, done on bit
/// patterns so they work on every platform (Swift's `Float16` is missing on some).
///
/// Widening (16 → 32 bits) is exact for every pattern, including subnormals, ±infinity and NaN.
/// Narrowing (32 → 16 bits) rounds to nearest, ties to even; values too large become ±infinity and
/// NaN stays NaN (made quiet).
public enum HalfPrecision {
  /// Returns the `Float` whose value equals the IEEE 754 binary16 number with bit pattern `bits`.
  ///
  /// - Parameter bits: a binary16 bit pattern (sign, 5 exponent bits, 10 mantissa bits).
  @inlinable
  public static func float(fromFloat16Bits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    if exponent == 0x1F {
      // Infinity (mantissa 0) or NaN (payload kept in the top mantissa bits).
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent != 0 {
      // Normal: rebias the exponent from 15 to 127.
      return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
    if mantissa == 0 {
      return Float(bitPattern: sign)
    }
    // Subnormal (mantissa × 2^-24): shift the leading one up to the implicit-bit position (bit 10).
    let shift = UInt32(mantissa.leadingZeroBitCount - 21)
    let normalized = (mantissa << shift) & 0x03FF
    return Float(bitPattern: sign | ((113 - shift) << 23) | (normalized << 13))
  }

  /// Returns the binary16 bit pattern nearest to `value` (ties to even; overflow gives ±infinity).
  ///
  /// - Parameter value: any `Float`; NaN maps to a quiet NaN with the same sign.
  @inlinable
  public static func float16Bits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF {
      if mantissa == 0 { return sign | 0x7C00 }
      return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F {
      return sign | 0x7C00
    }
    if halfExponent >= 1 {
      // Normal result: drop 13 mantissa bits with rounding. A carry out of the mantissa correctly
      // increments the exponent (and turns the largest finite value into infinity).
      let truncated = UInt32(halfExponent << 10) | (mantissa >> 13)
      let rounded = roundingShiftedRemainder(truncated, remainder: mantissa & 0x1FFF, half: 0x1000)
      return sign | UInt16(truncatingIfNeeded: rounded)
    }
    // Subnormal or zero result: the value is (2^23 + mantissa) × 2^(exponent - 150), and a subnormal
    // half counts units of 2^-24, so shift right by (126 - exponent) - 13 = 1 - halfExponent + 13.
    let shift = 14 - halfExponent
    if shift > 24 {
      return sign  // below half of the smallest subnormal (2^-25): rounds to zero
    }
    let significand = mantissa | 0x0080_0000
    let truncated = significand >> UInt32(shift)
    let remainder = significand & ((1 << UInt32(shift)) - 1)
    let rounded = roundingShiftedRemainder(truncated, remainder: remainder, half: 1 << UInt32(shift - 1))
    return sign | UInt16(truncatingIfNeeded: rounded)
  }

  /// Returns the `Float` whose value equals the bfloat16 number with bit pattern `bits` (always exact).
  ///
  /// - Parameter bits: a bfloat16 bit pattern (the upper half of a binary32 pattern).
  @inlinable
  public static func float(fromBFloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }

  /// Returns the bfloat16 bit pattern nearest to `value` (ties to even; overflow gives ±infinity).
  ///
  /// - Parameter value: any `Float`; NaN maps to a quiet NaN with the same sign.
  @inlinable
  public static func bfloat16Bits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN {
      return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    }
    let truncated = bits >> 16
    return UInt16(
      truncatingIfNeeded: roundingShiftedRemainder(truncated, remainder: bits & 0xFFFF, half: 0x8000))
  }

  /// Rounds `truncated` up when the dropped `remainder` is above `half`, or equal to it and `truncated`
  /// is odd (round to nearest, ties to even).
  @usableFromInline
  static func roundingShiftedRemainder(_ truncated: UInt32, remainder: UInt32, half: UInt32) -> UInt32 {
    if remainder > half || (remainder == half && truncated & 1 == 1) {
      return truncated + 1
    }
    return truncated
  }
}
