import EfficientNetModels
import Foundation

/// Times the kernel calls of one training step (``TrainingGraph/profiling``): wall-clock seconds and
/// multiply-accumulates per call, in execution order, forward then backward.
final class StepProfiler {
  private(set) var profile = LayerProfile()

  /// Runs `body`, recording its time as one entry.
  func measure<Result>(_ layer: String, _ kind: String, macs: Int, _ body: () -> Result) -> Result {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    record(layer, kind, since: start, macs: macs)
    return result
  }

  /// Records the time since `start` (a `DispatchTime` uptime in nanoseconds) as one entry.
  func record(_ layer: String, _ kind: String, since start: UInt64, macs: Int = 0) {
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    profile.entries.append(
      LayerProfile.Entry(layer: layer, kind: kind, seconds: seconds, multiplyAccumulates: macs))
  }
}

extension TrainingPass {
  /// `body()`, timed as `layer` of `kind` when the step is profiled.
  func timed<Result>(
    _ layer: @autoclosure () -> String, _ kind: @autoclosure () -> String, macs: Int = 0,
    _ body: () -> Result
  ) -> Result {
    guard let profiler else { return body() }
    return profiler.measure(layer(), kind(), macs: macs, body)
  }
}
