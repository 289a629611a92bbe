import Foundation

/// One axis of a chart: its title, its scale, and optionally a fixed range (else the data's, widened
/// to ticks).
public struct ChartAxis: Sendable, Equatable {
  /// How values are spaced along an axis.
  public enum Scale: Sendable, Equatable {
    /// Equal differences are equal distances.
    case linear
    /// Equal ratios are equal distances (values must be positive).
    case logarithmic
  }

  /// The axis title, drawn beside it.
  public var title: String
  /// Linear or logarithmic.
  public var scale: Scale
  /// The range drawn; nil to fit the data.
  public var range: ClosedRange<Double>?
  /// Whether ticks fall on whole numbers only (epochs, counts).
  public var wholeNumbers: Bool
  /// About how many steps between ticks a linear axis gets (at most).
  public var tickCount: Int

  /// An axis titled `title`.
  public init(
    title: String, scale: Scale = .linear, range: ClosedRange<Double>? = nil, wholeNumbers: Bool = false,
    tickCount: Int = 5
  ) {
    self.title = title
    self.scale = scale
    self.range = range
    self.wholeNumbers = wholeNumbers
    self.tickCount = tickCount
  }

  /// The range to draw for data spanning `values`: the fixed one, else the data's widened to ticks.
  /// Non-finite values (and, on a logarithmic axis, values that are not positive) are ignored.
  public func resolvedRange(for values: [Double]) -> ClosedRange<Double> {
    if let range { return range }
    let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
    guard let low = usable.min(), let high = usable.max() else {
      return scale == .linear ? 0...1 : 1...10
    }
    switch scale {
    case .linear:
      return AxisTicks.linearRange(covering: low, high, count: tickCount, wholeNumbers: wholeNumbers)
    case .logarithmic: return AxisTicks.logarithmicRange(covering: low, high)
    }
  }

  /// The tick values and their labels inside `range`.
  public func ticks(in range: ClosedRange<Double>) -> [(value: Double, label: String)] {
    switch scale {
    case .linear:
      let step = AxisTicks.step(
        span: range.upperBound - range.lowerBound, count: tickCount, wholeNumbers: wholeNumbers)
      return AxisTicks.linear(range, count: tickCount, wholeNumbers: wholeNumbers).map {
        ($0, AxisTicks.label($0, step: step))
      }
    case .logarithmic:
      return AxisTicks.logarithmic(range).map { ($0, AxisTicks.logarithmicLabel($0)) }
    }
  }
}

/// Where values of one axis land in pixels: `range` stretched over `pixels` (which may run backwards,
/// as a y axis does, its top being the range's upper end).
public struct AxisMapping: Sendable {
  /// The values drawn.
  public let range: ClosedRange<Double>
  /// The scale between them.
  public let scale: ChartAxis.Scale
  /// The pixel of the range's lower end and of its upper end.
  public let start: Double, end: Double

  /// Maps `range` on `scale` to run from pixel `start` to pixel `end`.
  public init(range: ClosedRange<Double>, scale: ChartAxis.Scale, start: Double, end: Double) {
    self.range = range
    self.scale = scale
    self.start = start
    self.end = end
  }

  /// The pixel of `value` (outside the range it lies beyond the ends; on a logarithmic scale a value
  /// that is not positive lies at the lower end).
  public func pixel(_ value: Double) -> Double {
    let fraction: Double
    switch scale {
    case .linear:
      let span = range.upperBound - range.lowerBound
      fraction = span > 0 ? (value - range.lowerBound) / span : 0.5
    case .logarithmic:
      let low = Foundation.log10(range.lowerBound), high = Foundation.log10(range.upperBound)
      fraction = value > 0 && high > low ? (Foundation.log10(value) - low) / (high - low) : 0
    }
    return start + fraction * (end - start)
  }
}
