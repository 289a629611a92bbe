import Foundation

/// Draws a ``LearningRateFinding``: loss against learning rate on a logarithmic axis.
public enum LearningRateFindingPlot {
  /// Writes the SVG to `url` (atomically).
  public static func write(_ finding: LearningRateFinding, optimizer: OptimizerKind, to url: URL) throws {
    // Replaced by the plotting module's chart.
  }
}
