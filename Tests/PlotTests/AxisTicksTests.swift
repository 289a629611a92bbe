import EfficientNetPlots
import XCTest

/// Nice ticks: multiples of 1, 2 or 5 × 10ⁿ that cover the data, powers of ten on a logarithmic axis,
/// and labels with just the decimals the step needs.
final class AxisTicksTests: XCTestCase {
  private func isNice(_ step: Double) -> Bool {
    let mantissa = step / pow(10, floor(log10(step)))
    return [1.0, 2, 5].contains { abs(mantissa - $0) < 1e-9 }
  }

  func testLinearTicksAreNiceAndCoverTheData() {
    for (low, high) in [(0.13, 0.87), (2.31, 2.38), (-7.0, 113.0), (0.0, 1e-4), (1_200.0, 98_000.0)] {
      let range = AxisTicks.linearRange(covering: low, high)
      let ticks = AxisTicks.linear(range)
      XCTAssertGreaterThanOrEqual(ticks.count, 3, "\(low)...\(high)")
      XCTAssertLessThanOrEqual(ticks.count, 11, "\(low)...\(high)")
      // The range starts and ends on ticks, around the data.
      XCTAssertEqual(ticks.first!, range.lowerBound, accuracy: abs(range.lowerBound) * 1e-9 + 1e-12)
      XCTAssertEqual(ticks.last!, range.upperBound, accuracy: abs(range.upperBound) * 1e-9 + 1e-12)
      XCTAssertLessThanOrEqual(ticks.first!, low)
      XCTAssertGreaterThanOrEqual(ticks.last!, high)
      let steps = zip(ticks, ticks.dropFirst()).map { $1 - $0 }
      XCTAssertTrue(isNice(steps[0]), "step \(steps[0])")
      XCTAssertTrue(steps.allSatisfy { abs($0 - steps[0]) < steps[0] * 1e-6 }, "\(steps)")
      for tick in ticks {
        XCTAssertEqual(tick / steps[0], (tick / steps[0]).rounded(), accuracy: 1e-6, "\(tick) is a multiple")
      }
    }
    XCTAssertEqual(
      AxisTicks.linear(AxisTicks.linearRange(covering: 0.13, 0.87)), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    XCTAssertEqual(AxisTicks.linear(0...10), [0, 2, 4, 6, 8, 10])
  }

  func testWholeNumberTicksNeverFallBetweenIntegers() {
    let range = AxisTicks.linearRange(covering: 1, 2, wholeNumbers: true)
    XCTAssertEqual(AxisTicks.linear(range, wholeNumbers: true), [1, 2])
    // One epoch alone: a step either side.
    XCTAssertEqual(AxisTicks.linearRange(covering: 1, 1, wholeNumbers: true), 0...2)
    XCTAssertEqual(AxisTicks.linear(0...2, wholeNumbers: true), [0, 1, 2])
  }

  func testLogarithmicTicksArePowersOfTenCoveringTheData() {
    let range = AxisTicks.logarithmicRange(covering: 1e-7, 3.2)
    XCTAssertEqual(range.lowerBound, 1e-7, accuracy: 1e-20)
    XCTAssertEqual(range.upperBound, 10, accuracy: 1e-12)
    let ticks = AxisTicks.logarithmic(range)
    XCTAssertEqual(ticks.count, 9)
    for (tick, exponent) in zip(ticks, -7...1) {
      XCTAssertEqual(tick, pow(10, Double(exponent)), accuracy: pow(10, Double(exponent)) * 1e-9)
    }
    // Within a decade: 2× and 5× fill in.
    XCTAssertEqual(AxisTicks.logarithmic(2e-3...8e-3).map { ($0 * 1e4).rounded() }, [20, 50])
  }

  func testLabelsHaveTheDecimalsTheStepNeeds() {
    XCTAssertEqual(AxisTicks.label(0.05, step: 0.05), "0.05")
    XCTAssertEqual(AxisTicks.label(0.4, step: 0.2), "0.4")
    XCTAssertEqual(AxisTicks.label(4, step: 2), "4")
    XCTAssertEqual(AxisTicks.label(-0.0, step: 1), "0")
    XCTAssertEqual(AxisTicks.logarithmicLabel(1e-5), "1e-5")
    XCTAssertEqual(AxisTicks.logarithmicLabel(2e-7), "2e-7")
    XCTAssertEqual(AxisTicks.logarithmicLabel(0.01), "0.01")
    XCTAssertEqual(AxisTicks.logarithmicLabel(1), "1")
    XCTAssertEqual(AxisTicks.logarithmicLabel(200), "200")
    XCTAssertEqual(AxisTicks.logarithmicLabel(1e4), "1e4")
  }

  func testTextIsEscapedForXML() {
    XCTAssertEqual(SVGText.escaped("<a&b> \"q\" 'p'"), "&lt;a&amp;b&gt; &quot;q&quot; &apos;p&apos;")
    XCTAssertEqual(SVGText.escaped("bell\u{7}"), "bell\u{FFFD}", "XML 1.0 has no control characters")
    XCTAssertEqual(SVGText.shortened("abcdefghij", limit: 5), "abcd…")
    XCTAssertEqual(SVGText.shortened("abc", limit: 5), "abc")
  }
}
