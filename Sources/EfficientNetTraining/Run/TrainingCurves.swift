import EfficientNetPlots
import Foundation

/// The picture of a run so far, `curves.svg`: loss (training and validation) beside top-1 accuracy
/// (training and validation) per epoch, built from the epoch records (`metrics.jsonl`'s lines, so a
/// resumed run's picture starts at its first epoch).
public enum TrainingCurves {
  /// The file's name in the run folder.
  public static let fileName = "curves.svg"

  /// The two panels of `history` (epochs numbered from 1, as `train` prints them; accuracy in percent).
  public static func chart(_ history: [EpochRecord]) -> ChartPanels {
    let epochs = history.map { Double($0.epoch + 1) }
    func series(_ name: String, _ values: [Double?], color: Int, dashed: Bool) -> ChartSeries? {
      epochSeries(name, epochs: epochs, values: values, color: color, dashed: dashed)
    }
    let epochAxis = ChartAxis(title: "epoch", wholeNumbers: true)
    let loss = LineChart(
      title: "loss", xAxis: epochAxis, yAxis: ChartAxis(title: "mean cross-entropy loss"),
      series: [
        series("training", history.map(\.trainingLoss), color: 0, dashed: false),
        series("validation", history.map(\.validationLoss), color: 1, dashed: true),
      ].compactMap { $0 }, width: 520, height: 400)
    let accuracy = LineChart(
      title: "top-1 accuracy", xAxis: epochAxis, yAxis: ChartAxis(title: "top-1 accuracy (%)"),
      series: [
        series("training", history.map { $0.trainingAccuracy * 100 }, color: 0, dashed: false),
        series("validation", history.map { $0.validationTop1.map { $0 * 100 } }, color: 1, dashed: true),
      ].compactMap { $0 }, width: 520, height: 400)
    let last = history.last.map { " (\($0.epoch + 1) epoch\($0.epoch == 0 ? "" : "s"))" } ?? ""
    return ChartPanels([loss, accuracy], title: "training curves" + last)
  }

  /// One line of a per-epoch chart: the epochs with a value (nil where an epoch has none); nil when
  /// no epoch has one.
  public static func epochSeries(
    _ name: String, epochs: [Double], values: [Double?], color: Int, dashed: Bool
  ) -> ChartSeries? {
    let points = zip(epochs, values).compactMap { epoch, value in value.map { ChartPoint(x: epoch, y: $0) } }
    guard !points.isEmpty else { return nil }
    return ChartSeries(name: name, points: points, color: ChartColors.series(color), dashed: dashed)
  }

  /// Writes the chart of `history` to `url` atomically.
  ///
  /// - Throws: ``TrainingError/cannotWrite(_:reason:)`` naming `url`.
  public static func write(_ history: [EpochRecord], to url: URL) throws {
    try write(chart(history), to: url)
  }

  /// Writes `chart` to `url` atomically.
  ///
  /// - Throws: ``TrainingError/cannotWrite(_:reason:)`` naming `url`.
  public static func write(_ chart: ChartPanels, to url: URL) throws {
    do {
      try chart.write(to: url)
    } catch {
      throw TrainingError.cannotWrite(url.path, reason: error.reason)
    }
  }
}
