import Foundation

/// Per-layer timings of one evaluation or training step, for finding where the time goes.
public struct LayerProfile: Sendable {
  /// One timed kernel call.
  public struct Entry: Sendable {
    /// The layer, e.g. `blocks.3.1.conv_dw`.
    public var layer: String
    /// The kind of operation, e.g. `depthwise 5x5 s1`, `pointwise`, `stem 3x3 s2`.
    public var kind: String
    /// Wall-clock seconds.
    public var seconds: Double
    /// Multiply-accumulates performed.
    public var multiplyAccumulates: Int

    /// An entry for `layer` of `kind` that took `seconds` for `multiplyAccumulates`.
    public init(layer: String, kind: String, seconds: Double, multiplyAccumulates: Int) {
      self.layer = layer
      self.kind = kind
      self.seconds = seconds
      self.multiplyAccumulates = multiplyAccumulates
    }

    /// Achieved GFLOP/s (two floating-point operations per multiply-accumulate).
    public var gigaflopsPerSecond: Double {
      seconds > 0 ? 2 * Double(multiplyAccumulates) / seconds / 1e9 : 0
    }
  }

  /// The timed calls in execution order.
  public var entries: [Entry] = []

  /// An empty profile.
  public init() {}

  /// Total seconds of all entries.
  public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

  /// How many passes each entry's time is the median of.
  public var passes = 1

  /// The entry-by-entry median of several passes over the same layers (one pass alone is at the
  /// mercy of a single interruption). Profiles whose layers differ from the first one's are skipped.
  public static func median(of profiles: [LayerProfile]) -> LayerProfile? {
    guard let first = profiles.first else { return nil }
    let matching = profiles.filter { $0.entries.map(\.layer) == first.entries.map(\.layer) }
    var result = first
    result.passes = matching.count
    for index in result.entries.indices {
      let times = matching.map { $0.entries[index].seconds }.sorted()
      let middle = times.count / 2
      result.entries[index].seconds =
        times.count % 2 == 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2
    }
    return result
  }

  /// The entries with repeated layers (one call per image) summed into the first of each, in order.
  public func mergingRepeatedLayers() -> LayerProfile {
    var merged = self
    var positions: [String: Int] = [:]
    merged.entries = []
    for entry in entries {
      if let position = positions[entry.layer] {
        merged.entries[position].seconds += entry.seconds
        merged.entries[position].multiplyAccumulates += entry.multiplyAccumulates
      } else {
        positions[entry.layer] = merged.entries.count
        merged.entries.append(entry)
      }
    }
    return merged
  }

  /// Entries summed by kind, slowest first.
  public var byKind: [Entry] {
    var totals: [String: Entry] = [:]
    for entry in entries {
      var total = totals[entry.kind] ?? Entry(layer: "", kind: entry.kind, seconds: 0, multiplyAccumulates: 0)
      total.seconds += entry.seconds
      total.multiplyAccumulates += entry.multiplyAccumulates
      totals[entry.kind] = total
    }
    return totals.values.sorted { $0.seconds > $1.seconds }
  }
}
