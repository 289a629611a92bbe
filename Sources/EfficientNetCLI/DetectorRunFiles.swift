import EfficientNetDetection
import EfficientNetTraining
import Foundation

/// The files of a detector run's folder: the checkpoint, the weights, one metrics line per epoch and
/// the curves.
struct DetectorRunFiles {
  let checkpoint: URL
  let model: URL
  let metrics: URL
  let curves: URL

  init(folder: URL) {
    checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
    model = folder.appendingPathComponent("model.safetensors")
    metrics = folder.appendingPathComponent("metrics.jsonl")
    curves = folder.appendingPathComponent(TrainingCurves.fileName)
  }

  /// Refuses to write over an earlier run unless `overwrite`; with it, removes the earlier run's
  /// files so none of them (old curves, old metrics) outlives it.
  func prepareFreshRun(overwrite: Bool, name: String) throws {
    let earlier = [checkpoint, model, metrics].filter { FileManager.default.fileExists(atPath: $0.path) }
    guard !earlier.isEmpty else { return }
    guard overwrite else {
      throw CommandError(
        "--output \(name) already holds a run (\(earlier.map(\.lastPathComponent).joined(separator: ", "))); "
          + "continue it with --resume \(name), or start again with --overwrite")
    }
    for url in [checkpoint, model, metrics, curves] where FileManager.default.fileExists(atPath: url.path) {
      try FileManager.default.removeItem(at: url)
    }
  }

  /// The records of the epochs up to `epoch` in `metrics.jsonl`; the file is cut back to them (a run
  /// stopped between writing an epoch's line and its checkpoint repeats that epoch).
  func history(through epoch: Int) throws -> [DetectorEpochRecord] {
    guard epoch > 0, let data = FileManager.default.contents(atPath: metrics.path) else { return [] }
    let decoder = JSONDecoder()
    let records = try data.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
      do {
        return try decoder.decode(DetectorEpochRecord.self, from: Data(line))
      } catch {
        throw CommandError("\(metrics.path): line \(index + 1) is not a detector epoch record (\(error))")
      }
    }
    let kept = records.filter { $0.epoch <= epoch }
    if kept.count != records.count { try MetricsLog(url: metrics).truncate(afterEpoch: epoch) }
    return kept
  }

  /// Appends `record` as one line of `metrics.jsonl` (created with the first).
  func append(_ record: DetectorEpochRecord) throws {
    try MetricsLog(url: metrics).append(encoding: record)
  }
}
