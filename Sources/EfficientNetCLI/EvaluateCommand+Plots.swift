import EfficientNetFiles
import EfficientNetPlots
import EfficientNetTraining
import Foundation

/// `evaluate --plot DIR`: the confusion matrix, and for two classes the ROC curve, as SVG files.
extension EvaluateCommand {
  /// The folder `--plot` names, checked before any work: it may be missing (``writePlots`` creates
  /// it) or a folder.
  ///
  /// - Throws: ``CommandError`` naming the flag when the path is a file or anything but a folder.
  static func plotFolder(_ path: String) throws -> URL {
    try OutputFolder.check(path, flag: "--plot", purpose: "the plots")
  }

  /// Writes `folder/confusion-matrix.svg` and, with exactly two classes, `folder/roc.svg` of the
  /// class `positiveClass` (creating `folder` when missing); returns the files written.
  static func writePlots(
    metrics: EvaluationMetrics, classNames: [String], positiveClass: Int?, dataName: String, to folder: URL
  ) throws -> [URL] {
    let classes = classNames.count
    let counts = metrics.confusion.prefix(classes).map { Array($0.prefix(classes)) }
    let matrix = ConfusionMatrixChart(
      classNames: classNames, counts: counts,
      title: "confusion matrix: \(dataName) (\(metrics.count) samples, top-1 "
        + String(format: "%.1f%%)", metrics.top1 * 100))
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw CommandError("--plot \(folder.path): cannot create the folder (\(error.localizedDescription))")
    }
    var written: [URL] = []
    func write(_ chart: some Chart, named name: String) throws {
      let url = folder.appendingPathComponent(name)
      do {
        try chart.write(to: url)
      } catch {
        throw CommandError("--plot: \(error)")
      }
      written.append(url)
    }
    try write(matrix, named: "confusion-matrix.svg")
    if classes == 2, let positiveClass, let curve = metrics.rocCurve(positiveClass: positiveClass),
      let area = metrics.rocAUC?.perClass[positiveClass]
    {
      let chart = ROCChart(
        points: curve.map { ChartPoint(x: $0.falsePositiveRate, y: $0.truePositiveRate) },
        areaUnderCurve: area, subject: "\(classNames[positiveClass]) positive")
      try write(chart, named: "roc.svg")
    }
    return written
  }
}
