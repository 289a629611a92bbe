import EfficientNetPlots
import EfficientNetTraining
import Foundation

/// The picture of a detector run so far, `curves.svg` like a classifier run's: the loss and its two
/// terms beside validation AP@[.5:.95] and AP50 per epoch, from `metrics.jsonl`'s records.
public enum DetectorTrainingCurves {
  /// The two panels of `history` (AP in percent).
  public static func chart(_ history: [DetectorEpochRecord], boxLossWeight: Double = 50) -> ChartPanels {
    let epochs = history.map { Double($0.epoch) }
    func series(_ name: String, _ values: [Double?], color: Int, dashed: Bool) -> ChartSeries? {
      TrainingCurves.epochSeries(name, epochs: epochs, values: values, color: color, dashed: dashed)
    }
    let epochAxis = ChartAxis(title: "epoch", wholeNumbers: true)
    let loss = LineChart(
      title: "training loss", xAxis: epochAxis, yAxis: ChartAxis(title: "mean loss per step"),
      series: [
        series("total", history.map(\.loss), color: 0, dashed: false),
        series("class (focal)", history.map(\.classLoss), color: 1, dashed: true),
        series(
          "box (Huber × \(Int(boxLossWeight)))", history.map { $0.boxLoss * boxLossWeight }, color: 2,
          dashed: true),
      ].compactMap { $0 }, width: 520, height: 400)
    let precision = LineChart(
      title: "validation COCO AP", xAxis: epochAxis, yAxis: ChartAxis(title: "AP (%)"),
      series: [
        series("AP@[.5:.95]", history.map { $0.validationAP.map { $0 * 100 } }, color: 0, dashed: false),
        series("AP50", history.map { $0.validationAP50.map { $0 * 100 } }, color: 1, dashed: true),
      ].compactMap { $0 }, width: 520, height: 400)
    let last = history.last.map { " (\($0.epoch) epoch\($0.epoch == 1 ? "" : "s"))" } ?? ""
    return ChartPanels([loss, precision], title: "detector training curves" + last)
  }

  /// Writes the chart of `history` to `url` atomically.
  ///
  /// - Throws: ``TrainingError/cannotWrite(_:reason:)`` naming `url`.
  public static func write(_ history: [DetectorEpochRecord], to url: URL) throws {
    try TrainingCurves.write(chart(history), to: url)
  }
}
