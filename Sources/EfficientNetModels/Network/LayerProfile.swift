import Foundation

/// Per-layer timings of one evaluation, for finding where the time goes.
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

    /// Achieved GFLOP/s (two floating-point operations per multiply-accumulate).
    public var gigaflopsPerSecond: Double {
      seconds > 0 ? 2 * Double(multiplyAccumulates) / seconds / 1e9 : 0
    }
  }

  /// The timed calls in execution order.
  public var entries: [Entry] = []

  /// Total seconds of all entries.
  public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }

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

/// Times kernel calls when profiling is on; costs one branch per call when it is off.
struct LayerTimer {
  var profile: LayerProfile?

  mutating func measure(
    _ layer: @autoclosure () -> String, _ kind: @autoclosure () -> String, macs: Int, _ body: () -> Void
  ) {
    guard profile != nil else {
      body()
      return
    }
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    profile!.entries.append(
      LayerProfile.Entry(layer: layer(), kind: kind(), seconds: seconds, multiplyAccumulates: macs))
  }
}
