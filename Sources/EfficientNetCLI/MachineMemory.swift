import EfficientNetModels
import Foundation

/// The memory this machine can give the tool, and the check that refuses work which would not fit
/// before any of it is allocated.
enum MachineMemory {
  /// Bytes available now: `MemAvailable` from `/proc/meminfo`, capped by the address-space limit
  /// (`ulimit -v`) when one is set; the physical memory where `/proc` is absent.
  static var availableBytes: Int {
    var available = Int(ProcessInfo.processInfo.physicalMemory)
    if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
      let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
      available = kibibytes * 1024
    }
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
      available = min(available, Int(clamping: limit.rlim_cur))
    }
    return available
  }

  /// Throws, with the figures, when `estimate` exceeds the available memory.
  ///
  /// - Parameter what: the work, as the user asked for it, e.g. "efficientnet_b7 at 600x600, batch 64".
  static func require(_ estimate: MemoryEstimate, for what: String) throws {
    let available = availableBytes
    guard estimate.totalBytes > available else { return }
    throw CommandError(
      "\(what) needs about \(gibibytes(estimate.totalBytes)) (\(gibibytes(estimate.parameterBytes)) weights, "
        + "\(gibibytes(estimate.activationBytes)) activations) but this machine has \(gibibytes(available)) "
        + "available; lower --batch-size, --resolution or the model's size")
  }

  /// Checks an architecture's estimate for a batch of `batch` images of `side`×`side`.
  static func require(
    _ architecture: Architecture, batch: Int, side: Int, training: Bool
  ) throws {
    let estimate = architecture.memoryEstimate(batch: batch, height: side, width: side, training: training)
    try require(
      estimate,
      for:
        "\(training ? "training" : "running") \(architecture.configuration.name) at \(side)x\(side), batch \(batch)"
    )
  }

  private static func gibibytes(_ bytes: Int) -> String {
    bytes == Int.max ? "more than 8 EiB" : String(format: "%.2f GiB", Double(bytes) / 1_073_741_824)
  }
}
