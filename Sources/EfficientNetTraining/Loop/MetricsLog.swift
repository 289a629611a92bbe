import EfficientNetFiles
import Foundation

/// Appends one JSON object per line to a file (`metrics.jsonl`), flushing each line to disk.
public struct MetricsLog {
  /// The file written to.
  public let url: URL

  /// Opens (creating when needed) the log at `url`.
  public init(url: URL) throws {
    self.url = url
    do {
      try AtomicFile.requireReplaceable(url)
    } catch {
      throw TrainingError.cannotWrite(url.path, reason: error.reason)
    }
    if !FileManager.default.fileExists(atPath: url.path) {
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw TrainingError.cannotWrite(url.path, reason: "cannot create the metrics file")
      }
    }
  }

  /// Appends one record (keys sorted, so identical runs give identical lines).
  public func append(_ record: EpochRecord) throws {
    try appendLine(try JSONSerialization.data(withJSONObject: record.jsonObject, options: [.sortedKeys]))
  }

  /// Appends any encodable record (a detector run's), keys sorted.
  public func append<Record: Encodable>(encoding record: Record) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try appendLine(try encoder.encode(record))
  }

  /// Appends `data` and a newline, flushed to disk.
  private func appendLine(_ data: Data) throws {
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: data + Data("\n".utf8))
    try handle.synchronize()
  }

  /// The records written so far, in order (lines that are not records are skipped).
  public func records() -> [EpochRecord] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { EpochRecord(line: $0) }
  }

  /// Keeps only the records whose `epoch` is at most `epoch` (for resuming after a checkpoint).
  public func truncate(afterEpoch epoch: Int) throws {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
    let kept = text.split(separator: "\n").filter { line in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let recorded = object["epoch"] as? Int
      else { return false }
      return recorded <= epoch
    }
    do {
      try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: url)
    } catch {
      throw TrainingError.cannotWrite(url.path, reason: error.reason)
    }
  }
}

/// Errors of the training loop, each naming the file, flag or value at fault.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// A file or folder cannot be written.
  case cannotWrite(String, reason: String)
  /// A checkpoint cannot be used.
  case invalidCheckpoint(String, reason: String)
  /// The loss became NaN or infinite.
  case nonFiniteLoss(epoch: Int, step: Int, loss: Double)
  /// A setting is out of range.
  case invalidSetting(name: String, reason: String)

  public var description: String {
    switch self {
    case .cannotWrite(let path, let reason): return "\(path): \(reason)"
    case .invalidCheckpoint(let path, let reason): return "\(path): not a usable checkpoint: \(reason)"
    case .nonFiniteLoss(let epoch, let step, let loss):
      return "the loss became \(loss) at epoch \(epoch), step \(step); training stopped and the last good "
        + "checkpoint was kept (try a lower --lr or gradient clipping)"
    case .invalidSetting(let name, let reason): return "\(name): \(reason)"
    }
  }
}
