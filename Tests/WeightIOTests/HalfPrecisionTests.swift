import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

final class HalfPrecisionTests: XCTestCase {
  /// The value of a binary16 pattern from the textbook formula, computed in Double (the naive twin).
  private func definitionOfFloat16(_ bits: UInt16) -> Double {
    let sign: Double = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = Double(bits & 0x3FF)
    switch exponent {
    case 0x1F: return mantissa == 0 ? sign * .infinity : .nan
    case 0: return sign * mantissa * pow(2, -24)
    default: return sign * (1 + mantissa / 1024) * pow(2, Double(exponent - 15))
    }
  }

  func testFloat16WideningMatchesTheDefinitionForEveryBitPattern() {
    for pattern in 0...0xFFFF {
      let bits = UInt16(pattern)
      let widened = HalfPrecision.float(fromFloat16Bits: bits)
      let expected = definitionOfFloat16(bits)
      if expected.isNaN {
        XCTAssertTrue(widened.isNaN, "0x\(String(bits, radix: 16))")
        XCTAssertEqual(widened.sign == .minus, bits & 0x8000 != 0)
      } else {
        // Bitwise comparison also checks the sign of zero.
        XCTAssertEqual(widened.bitPattern, Float(expected).bitPattern, "0x\(String(bits, radix: 16))")
      }
    }
  }

  func testFloat16NarrowingRoundsKnownValuesToNearestEven() {
    let cases: [(Float, UInt16)] = [
      (1, 0x3C00), (-2, 0xC000), (65504, 0x7BFF), (65519.99, 0x7BFF),
      (65520, 0x7C00),  // halfway to 2^16: ties to even overflows to infinity
      (1e6, 0x7C00), (-1e6, 0xFC00), (.infinity, 0x7C00), (-.infinity, 0xFC00),
      (6.1e-5, 0x03FF),  // just below the smallest normal 2^-14: largest subnormal
      (0x1p-14, 0x0400), (5.96e-8, 0x0001), (0x1p-24, 0x0001),
      (0x1p-25, 0x0000),  // exactly half the smallest subnormal: ties to even (zero)
      (Float(bitPattern: 0x3300_0001), 0x0001),  // just above 2^-25
      (0x1.8p-24, 0x0002),  // 1.5 × 2^-24: ties to even (2)
      (0x1.4p-24, 0x0001), (1e-10, 0x0000), (-1e-10, 0x8000), (-0.0, 0x8000), (0, 0),
      (1.0 / 3.0, 0x3555), (1 + 0x1p-11, 0x3C00), (1 + 0x1.8p-10, 0x3C02),
      (Float.greatestFiniteMagnitude, 0x7C00),
      (Float.leastNonzeroMagnitude, 0x0000),
    ]
    for (value, expected) in cases {
      XCTAssertEqual(
        HalfPrecision.float16Bits(from: value), expected,
        "\(value): got 0x\(String(HalfPrecision.float16Bits(from: value), radix: 16))")
    }
    for nan in [Float.nan, -Float.nan, Float.signalingNaN, Float(bitPattern: 0x7F80_0001)] {
      let bits = HalfPrecision.float16Bits(from: nan)
      XCTAssertTrue(HalfPrecision.float(fromFloat16Bits: bits).isNaN, "\(nan) → 0x\(String(bits, radix: 16))")
      XCTAssertEqual(bits & 0x8000 != 0, nan.sign == .minus)
    }
  }

  /// Compares narrowing with a naive nearest-value search over all finite halves, at every midpoint
  /// between adjacent halves (and one Float step either side) and at random floats.
  func testFloat16NarrowingMatchesNearestValueSearch() {
    let finiteHalves = (0...0x7BFF).map { HalfPrecision.float(fromFloat16Bits: UInt16($0)) }
    func naiveNearest(_ value: Float) -> UInt16 {
      let magnitude = value.magnitude
      let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
      if magnitude >= 65520 { return sign | 0x7C00 }
      // Binary search for the first half >= magnitude, then pick the nearer neighbor (even on ties).
      var low = 0
      var high = finiteHalves.count - 1
      while low < high {
        let middle = (low + high) / 2
        if finiteHalves[middle] < magnitude { low = middle + 1 } else { high = middle }
      }
      if low == 0 { return sign }
      let below = Double(finiteHalves[low - 1])
      let above = Double(finiteHalves[low])
      let distanceBelow = Double(magnitude) - below
      let distanceAbove = above - Double(magnitude)
      if distanceBelow < distanceAbove { return sign | UInt16(low - 1) }
      if distanceAbove < distanceBelow { return sign | UInt16(low) }
      return sign | UInt16(low % 2 == 0 ? low : low - 1)
    }
    var probes: [Float] = []
    for index in 0..<finiteHalves.count - 1 {
      let midpoint = Float((Double(finiteHalves[index]) + Double(finiteHalves[index + 1])) / 2)
      probes += [midpoint, midpoint.nextUp, midpoint.nextDown, -midpoint]
    }
    var generator = SplitMix64(seed: 16)
    for _ in 0..<100_000 {
      // Exponents from far below the subnormal range to beyond overflow.
      let exponent = UInt32.random(in: 90...145, using: &generator)
      let mantissa = UInt32.random(in: 0...0x7F_FFFF, using: &generator)
      let sign: UInt32 = Bool.random(using: &generator) ? 0x8000_0000 : 0
      probes.append(Float(bitPattern: sign | exponent << 23 | mantissa))
    }
    var mismatches = 0
    for value in probes where HalfPrecision.float16Bits(from: value) != naiveNearest(value) {
      mismatches += 1
      if mismatches < 5 {
        XCTFail("\(value): got \(HalfPrecision.float16Bits(from: value)), want \(naiveNearest(value))")
      }
    }
    XCTAssertEqual(mismatches, 0)
  }

  func testEveryFloat16SurvivesARoundTripThroughFloat() {
    for pattern in 0...0xFFFF {
      let bits = UInt16(pattern)
      let widened = HalfPrecision.float(fromFloat16Bits: bits)
      if widened.isNaN {
        XCTAssertTrue(HalfPrecision.float(fromFloat16Bits: HalfPrecision.float16Bits(from: widened)).isNaN)
      } else {
        XCTAssertEqual(HalfPrecision.float16Bits(from: widened), bits)
      }
    }
  }

  func testBFloat16WideningMatchesKnownBitPatterns() {
    let cases: [(UInt16, Float)] = [
      (0x3F80, 1), (0xC000, -2), (0x4049, 3.140625), (0xC049, -3.140625), (0x3E20, 0.15625),
      (0x7F80, .infinity), (0xFF80, -.infinity), (0x0001, 0x1p-133), (0x0080, 0x1p-126),
      (0x7F7F, 0x1.FEp127), (0x8000, -0.0), (0x0000, 0),
    ]
    for (bits, expected) in cases {
      XCTAssertEqual(
        HalfPrecision.float(fromBFloat16Bits: bits).bitPattern, expected.bitPattern,
        "0x\(String(bits, radix: 16))")
    }
    XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: 0x7FC0).isNaN)
    XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: 0xFF81).isNaN)
  }

  func testBFloat16NarrowingRoundsToNearestEven() {
    let cases: [(Float, UInt16)] = [
      (1, 0x3F80), (3.14159265, 0x4049), (-3.14159265, 0xC049),
      (Float(bitPattern: 0x3F80_8000), 0x3F80),  // tie, even below
      (Float(bitPattern: 0x3F81_8000), 0x3F82),  // tie, even above
      (Float(bitPattern: 0x3F80_8001), 0x3F81),
      (.greatestFiniteMagnitude, 0x7F80),  // rounds up past the largest bfloat16
      (.infinity, 0x7F80), (-.infinity, 0xFF80), (0x1p-133, 0x0001), (-0.0, 0x8000),
    ]
    for (value, expected) in cases {
      XCTAssertEqual(HalfPrecision.bfloat16Bits(from: value), expected, "\(value)")
    }
    XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: .nan)).isNaN)
    // A NaN whose payload sits only in the low 16 bits must not become infinity.
    XCTAssertTrue(
      HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: Float(bitPattern: 0x7F80_0001)))
        .isNaN)
  }
}
