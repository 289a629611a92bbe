import EfficientNetPlots
import Foundation

/// Draws a ``LearningRateFinding``: loss against learning rate on a logarithmic axis, the raw loss
/// of each step thin and grey, the smoothed loss over it, and the suggested rate marked.
public enum LearningRateFindingPlot {
  /// The chart of `finding` (swept with `optimizer`, named in the title).
  public static func chart(_ finding: LearningRateFinding, optimizer: OptimizerKind) -> LineChart {
    func points(_ losses: [Double]) -> [ChartPoint] {
      zip(finding.rates, losses).map { ChartPoint(x: $0, y: $1) }
    }
    // The loss at divergence dwarfs the rest: the vertical range is that of the smoothed loss up to
    // its lowest point with half as much again above (the divergence and the raw loss's spikes run
    // off the top, clipped).
    let descent = finding.smoothedLosses.prefix((finding.lowestIndex ?? finding.smoothedLosses.count - 1) + 1)
    let low = (finding.losses + finding.smoothedLosses).filter(\.isFinite).min()
    var range: ClosedRange<Double>?
    if let low, let high = descent.filter(\.isFinite).max(), let lowest = descent.filter(\.isFinite).min() {
      range = AxisTicks.linearRange(covering: low, high + max(high - lowest, high * 0.05) * 0.5)
    }
    var highlight: ChartHighlight?
    if let suggestion = finding.suggestedRate, !finding.rates.isEmpty {
      // The smoothed loss at the step nearest the suggestion (on the logarithmic axis).
      let nearest = finding.rates.indices.min {
        abs(Foundation.log(finding.rates[$0] / suggestion))
          < abs(Foundation.log(finding.rates[$1] / suggestion))
      }!
      highlight = ChartHighlight(
        point: ChartPoint(x: suggestion, y: finding.smoothedLosses[nearest]),
        label: "suggested lr " + String(format: "%.2g", suggestion))
    }
    let stop = finding.diverged ? "stopped at divergence" : "no divergence"
    return LineChart(
      title: "learning-rate range test (\(optimizer.rawValue), \(finding.rates.count) steps, \(stop))",
      xAxis: ChartAxis(title: "learning rate (logarithmic)", scale: .logarithmic),
      yAxis: ChartAxis(title: "training loss", range: range),
      series: [
        ChartSeries(
          name: "loss of each step", points: points(finding.losses), color: "#AAAAAA", lineWidth: 1,
          showsMarkers: false),
        ChartSeries(
          name: "smoothed loss", points: points(finding.smoothedLosses), color: ChartColors.series(0),
          showsMarkers: false),
      ], highlight: highlight, width: 720, height: 440)
  }

  /// Writes the SVG to `url` (atomically).
  ///
  /// - Throws: ``TrainingError/cannotWrite(_:reason:)`` naming `url`.
  public static func write(_ finding: LearningRateFinding, optimizer: OptimizerKind, to url: URL) throws {
    do {
      try chart(finding, optimizer: optimizer).write(to: url)
    } catch {
      throw TrainingError.cannotWrite(url.path, reason: error.reason)
    }
  }
}
