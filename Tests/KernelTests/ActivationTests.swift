import EfficientNetKernels
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

final class ActivationTests: XCTestCase {
  /// -100 to 100 in steps of 1/64, plus ±0, NaN, ±infinity and the edges of exp's range.
  private static let sweep: [Float] = {
    var values = (-6400...6400).map { Float($0) / 64 }
    values += [0, -0.0, .nan, .infinity, -.infinity, -87.3, 88.7, 88.72, -87.33, -103, 1e-30, -1e-30]
    values += [.leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    return values
  }()

  /// Evaluates `body` eight lanes at a time over `values` (padding the last group).
  private func vectorized(_ values: [Float], _ body: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
    var result: [Float] = []
    var index = 0
    while index < values.count {
      var lanes = SIMD8<Float>()
      for lane in 0..<8 where index + lane < values.count { lanes[lane] = values[index + lane] }
      let output = body(lanes)
      for lane in 0..<8 where index + lane < values.count { result.append(output[lane]) }
      index += 8
    }
    return result
  }

  func testVectorExpIsWithinFourTenthsOfAMillionthOfExpf() {
    let values = Self.sweep
    let results = vectorized(values) { VectorMath.exp($0) }
    var worst: Float = 0
    for (x, actual) in zip(values, results) {
      let expected = expf(x)
      if x.isNaN {
        XCTAssertTrue(actual.isNaN, "exp(nan)")
      } else if x > 88.7 {
        XCTAssertEqual(actual, .infinity, "exp(\(x)) saturates to infinity")
      } else if x < -87.3 {
        // Below the normal range the vector exp flushes to zero where expf is subnormal.
        XCTAssertTrue(actual >= 0 && actual <= .leastNormalMagnitude, "exp(\(x)) = \(actual)")
      } else {
        let error = abs(actual - expected) / expected
        worst = max(worst, error)
        XCTAssertLessThan(error, 4e-7, "exp(\(x)) = \(actual), expf = \(expected)")
      }
    }
    XCTAssertEqual(results[values.firstIndex(of: .infinity)!], .infinity)
    XCTAssertEqual(results[values.firstIndex(of: -.infinity)!], 0)
    XCTAssertEqual(vectorized([0, -0.0]) { VectorMath.exp($0) }, [1, 1])
    XCTAssertLessThan(worst, 4e-7)
  }

  func testVectorSigmoidAndSiLUAreWithinThreeTenthsOfAMillionthOfExactValues() {
    // Every 1/1024 over [−40, 40] (where neither saturates): relative error against double precision.
    let values = (-40 * 1024...40 * 1024).map { Float($0) / 1024 }
    let sigmoid = vectorized(values) { Activation.sigmoid.apply($0) }
    let silu = vectorized(values) { Activation.silu.apply($0) }
    var worst = (sigmoid: 0.0, silu: 0.0)
    for (index, x) in values.enumerated() {
      let exact = 1 / (1 + Foundation.exp(-Double(x)))
      worst.sigmoid = max(worst.sigmoid, abs(Double(sigmoid[index]) - exact) / exact)
      if x != 0 {
        worst.silu = max(worst.silu, abs(Double(silu[index]) - Double(x) * exact) / abs(Double(x) * exact))
      }
    }
    XCTAssertLessThan(worst.sigmoid, 3e-7)
    XCTAssertLessThan(worst.silu, 3e-7)
  }

  func testVectorActivationsMatchScalarActivations() {
    let values = Self.sweep
    for activation in Activation.allCases {
      let results = vectorized(values) { activation.apply($0) }
      for (x, actual) in zip(values, results) {
        let expected = activation.apply(x)
        // SiLU(−∞) = −∞ · sigmoid(−∞) has no value (the scalar form gives NaN, the vector form −∞);
        // kernels only ever see finite inputs (the engine refuses others).
        if activation == .silu && x == -.infinity { continue }
        if expected.isNaN {
          XCTAssertTrue(actual.isNaN, "\(activation)(\(x)) = \(actual), expected NaN")
        } else if expected.isInfinite {
          XCTAssertEqual(actual, expected, "\(activation)(\(x))")
        } else {
          // 1e-6 absolute; for SiLU of large inputs, 1e-6 relative (one rounding of |x| > 1).
          let tolerance: Float = 1e-6 * max(1, abs(expected))
          XCTAssertEqual(actual, expected, accuracy: tolerance, "\(activation)(\(x))")
        }
      }
    }
  }

  func testScalarActivationsOfKnownValues() {
    XCTAssertEqual(Activation.relu.apply(-3), 0)
    XCTAssertEqual(Activation.relu6.apply(7.5), 6)
    XCTAssertEqual(Activation.sigmoid.apply(0), 0.5)
    XCTAssertEqual(Activation.silu.apply(2), 2 / (1 + expf(-2)))
    XCTAssertEqual(Activation.silu.apply(1), 0.731_058_6, accuracy: 1e-7)
    XCTAssertEqual(Activation.sigmoid.apply(-100), 0, accuracy: 1e-30)
  }
}
