import EfficientNetLayers
import EfficientNetModels
import Foundation

/// Formats a ``LayerProfile`` as two tables: by operation kind, then the slowest layers.
enum ProfileReport {
  static func text(_ profile: LayerProfile, slowest: Int = 15) -> String {
    let total = profile.totalSeconds
    // Wide enough for every name (the training kinds run past the inference ones), at least 28.
    let names = profile.entries.flatMap { [$0.layer, $0.kind] }
    let width = max(28, (names.map(\.count).max() ?? 0) + 3)
    func row(_ name: String, _ entry: LayerProfile.Entry) -> String {
      let share = total > 0 ? 100 * entry.seconds / total : 0
      return name.padding(toLength: width, withPad: " ", startingAt: 0)
        + String(
          format: "%9.3f ms %6.1f%% %9.1f GFLOP/s", entry.seconds * 1000, share, entry.gigaflopsPerSecond)
    }
    var lines = [
      String(format: "profile: %.3f ms over %d timed layers", total * 1000, profile.entries.count)
        + (profile.passes > 1 ? " (per-layer medians of \(profile.passes) passes)" : "")
    ]
    lines.append("by kind:")
    lines += profile.byKind.map { row("  " + $0.kind, $0) }
    lines.append("slowest layers:")
    lines += profile.entries.sorted { $0.seconds > $1.seconds }.prefix(slowest).map {
      row("  " + $0.layer, $0) + "  " + $0.kind
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
