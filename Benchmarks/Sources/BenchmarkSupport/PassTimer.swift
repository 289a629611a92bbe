import Foundation

/// The seconds each timed pass took, fastest first.
public struct PassTimes {
  /// Every pass's duration in seconds, sorted ascending.
  public let seconds: [Double]

  /// Sorts the passes' durations.
  public init(seconds: [Double]) { self.seconds = seconds.sorted() }

  /// The fastest pass (on a shared machine, the least disturbed one).
  public var best: Double { seconds[0] }

  /// The middle pass.
  public var median: Double { seconds[seconds.count / 2] }
}

/// Times `passes` repetitions of the same work after one untimed warm-up run.
public struct PassTimer {
  /// How many timed passes to run (at least 1).
  public let passes: Int

  /// A timer of `passes` timed passes.
  public init(passes: Int) {
    precondition(passes >= 1, "passes must be at least 1, got \(passes)")
    self.passes = passes
  }

  /// Runs `warmUp` once untimed, then `body` `passes` times, and returns the passes' durations.
  public func measure(warmUp: () throws -> Void, _ body: () throws -> Void) rethrows -> PassTimes {
    try warmUp()
    var seconds: [Double] = []
    for _ in 0..<passes {
      let start = Date()
      try body()
      seconds.append(Date().timeIntervalSince(start))
    }
    return PassTimes(seconds: seconds)
  }
}
