import Foundation

/// Times layer calls into a ``LayerProfile``: wall-clock seconds and multiply-accumulates per call,
/// in execution order. The one timer of the inference engine and the training pass.
///
/// Executors hold an optional timer; ``Swift/Optional/measure(_:_:macs:_:)`` on a nil timer only runs
/// the body, so an unprofiled pass pays one branch per call.
public final class LayerTimer {
  /// The calls timed so far.
  public private(set) var profile = LayerProfile()

  /// A timer with an empty profile.
  public init() {}

  /// Runs `body`, recording its time as one entry.
  ///
  /// - Parameters:
  ///   - layer: the layer's name (from the network layout).
  ///   - kind: the kind of operation, e.g. `depthwise 3x3 s1`.
  ///   - macs: multiply-accumulates the call performs.
  public func measure<Result>(_ layer: String, _ kind: String, macs: Int, _ body: () -> Result) -> Result {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    record(layer, kind, since: start, macs: macs)
    return result
  }

  /// Records the time since `start` (a `DispatchTime` uptime in nanoseconds) as one entry.
  public func record(_ layer: String, _ kind: String, since start: UInt64, macs: Int = 0) {
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    profile.entries.append(
      LayerProfile.Entry(layer: layer, kind: kind, seconds: seconds, multiplyAccumulates: macs))
  }
}

extension Optional where Wrapped == LayerTimer {
  /// `body()`, timed as `layer` of `kind` when there is a timer; names are only built when timed.
  public func measure<Result>(
    _ layer: @autoclosure () -> String, _ kind: @autoclosure () -> String, macs: Int = 0,
    _ body: () -> Result
  ) -> Result {
    guard let timer = self else { return body() }
    return timer.measure(layer(), kind(), macs: macs, body)
  }

  /// The current uptime in nanoseconds when there is a timer (for ``LayerTimer/record(_:_:since:macs:)``).
  public var start: UInt64? { self == nil ? nil : DispatchTime.now().uptimeNanoseconds }

  /// Records the time since `start` as one entry when there is a timer.
  public func record(
    _ layer: @autoclosure () -> String, _ kind: @autoclosure () -> String, since start: UInt64?
  ) {
    guard let timer = self, let start else { return }
    timer.record(layer(), kind(), since: start)
  }
}
