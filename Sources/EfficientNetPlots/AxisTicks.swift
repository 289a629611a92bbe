import Foundation

/// "Nice" tick values for an axis: on a linear scale, multiples of 1, 2 or 5 × 10ⁿ; on a logarithmic
/// one, the powers of ten (with 2× and 5× between them when the range spans less than a decade or
/// two). The ranges built here start and end on ticks, so the ticks cover the data.
public enum AxisTicks {
  /// The smallest of 1, 2, 5 × 10ⁿ that splits `span` into at most about `count` steps (at least 1
  /// with `wholeNumbers`).
  public static func step(span: Double, count: Int = 5, wholeNumbers: Bool = false) -> Double {
    let raw = span > 0 && span.isFinite ? span / Double(max(1, count)) : 1
    let magnitude = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
    let nice = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? raw
    return wholeNumbers ? max(1, nice.rounded(.up)) : nice
  }

  /// The range from the largest tick at or below `low` to the smallest at or above `high` (one step
  /// either side of a single value).
  public static func linearRange(
    covering low: Double, _ high: Double, count: Int = 5, wholeNumbers: Bool = false
  ) -> ClosedRange<Double> {
    guard low.isFinite, high.isFinite else { return 0...1 }
    var (low, high) = (min(low, high), max(low, high))
    if high - low < max(abs(high), 1) * 1e-9 {
      let pad = wholeNumbers ? 1 : max(abs(low) * 0.1, 1e-9)
      (low, high) = (low - pad, high + pad)
    }
    let step = step(span: high - low, count: count, wholeNumbers: wholeNumbers)
    return ((low / step).rounded(.down) * step)...((high / step).rounded(.up) * step)
  }

  /// The ticks inside `range`, `step` apart (see ``step(span:count:wholeNumbers:)``).
  public static func linear(_ range: ClosedRange<Double>, count: Int = 5, wholeNumbers: Bool = false)
    -> [Double]
  {
    let step = step(span: range.upperBound - range.lowerBound, count: count, wholeNumbers: wholeNumbers)
    let tolerance = step * 1e-6
    // Below 1, index × mantissa / 10ⁿ is the decimal itself (3 × 0.2 is 0.6000000000000001).
    let exponent = Foundation.log10(step).rounded(.down)
    let mantissa = (step / Foundation.pow(10, exponent)).rounded()
    func value(_ index: Double) -> Double {
      exponent < 0 ? index * mantissa / Foundation.pow(10, -exponent) : index * step
    }
    var ticks: [Double] = []
    var index = ((range.lowerBound - tolerance) / step).rounded(.up)
    while value(index) <= range.upperBound + tolerance, ticks.count < 100 {
      ticks.append(abs(value(index)) < tolerance ? 0 : value(index))
      index += 1
    }
    return ticks
  }

  /// The range from the power of ten at or below `low` to the one at or above `high` (both must be
  /// positive; a decade either side when they are one power).
  public static func logarithmicRange(covering low: Double, _ high: Double) -> ClosedRange<Double> {
    guard low > 0, high > 0, low.isFinite, high.isFinite else { return 1...10 }
    var bottom = Foundation.log10(min(low, high)).rounded(.down)
    var top = Foundation.log10(max(low, high)).rounded(.up)
    if top <= bottom { (bottom, top) = (bottom - 1, top + 1) }
    return Foundation.pow(10, bottom)...Foundation.pow(10, top)
  }

  /// The ticks inside a positive `range` on a logarithmic scale: every power of ten (every second
  /// or third when there are more than ten), filled in with 2× and 5× when fewer than three, and
  /// linear ticks when even those are fewer than two.
  public static func logarithmic(_ range: ClosedRange<Double>) -> [Double] {
    guard range.lowerBound > 0 else { return linear(range) }
    let tolerance = 1e-9
    let lowest = (Foundation.log10(range.lowerBound) - tolerance).rounded(.up)
    let highest = (Foundation.log10(range.upperBound) + tolerance).rounded(.down)
    if highest - lowest >= 2 {
      let stride = ((highest - lowest + 1) / 10).rounded(.up)
      return Swift.stride(from: lowest, through: highest, by: stride).map { Foundation.pow(10, $0) }
    }
    let decades = Swift.stride(
      from: Foundation.log10(range.lowerBound).rounded(.down), through: highest, by: 1)
    let (low, high) = (range.lowerBound * (1 - tolerance), range.upperBound * (1 + tolerance))
    var filled: [Double] = []
    for exponent in decades {
      let power: Double = Foundation.pow(10, exponent)
      for mantissa in [1.0, 2, 5] where mantissa * power >= low && mantissa * power <= high {
        filled.append(mantissa * power)
      }
    }
    return filled.count >= 2 ? filled : linear(range)
  }

  /// A linear tick's label: as many decimals as `step` needs ("0.25" is never a step; "0.05" is).
  public static func label(_ value: Double, step: Double) -> String {
    let decimals = step >= 1 ? 0 : Int((-Foundation.log10(step) - 1e-9).rounded(.up))
    return String(format: "%.\(decimals)f", value == 0 ? 0 : value)
  }

  /// A logarithmic tick's label: plain from 0.001 to 1000 ("0.01", "200"), else "1e-5", "2e-7".
  public static func logarithmicLabel(_ value: Double) -> String {
    let exponent = Int(Foundation.log10(value).rounded(.down))
    let mantissa = Int((value / Foundation.pow(10, Double(exponent))).rounded())
    if (-3...3).contains(exponent) {
      return exponent >= 0
        ? String(mantissa * Int(Foundation.pow(10, Double(exponent))))
        : String(format: "%.\(-exponent)f", value)
    }
    return "\(mantissa)e\(exponent)"
  }
}
