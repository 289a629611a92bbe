import EfficientNetCore
import Foundation
import WeightIO

/// Everything needed to continue training exactly where it stopped, in one safetensors file:
/// the model's tensors (`model.<timm name>`), the optimizer's and the weight average's buffers (under
/// their own prefixes, `optimizer.` and `ema.`), and the position (epoch, step, seed, settings) as
/// metadata.
///
/// Written atomically (a temporary file renamed over the old one), so an interruption at any moment
/// leaves either the previous checkpoint or the new one, never a torn file.
public struct TrainingCheckpoint {
  /// Model tensors by timm name (running statistics included).
  public var model: [String: Tensor]
  /// Optimizer and weight-average buffers by their full (prefixed) names.
  public var state: [String: [Float]]
  /// Epochs completed.
  public var epoch: Int
  /// Optimizer steps taken.
  public var step: Int
  /// Free-form settings and state (seed, optimizer and schedule names, best accuracy …).
  public var metadata: [String: String]

  /// Creates a checkpoint from its parts.
  public init(
    model: [String: Tensor], state: [String: [Float]], epoch: Int, step: Int, metadata: [String: String]
  ) {
    self.model = model
    self.state = state
    self.epoch = epoch
    self.step = step
    self.metadata = metadata
  }

  static let format = "swift-efficientnet-training-checkpoint-1"

  /// Writes the checkpoint atomically.
  public func write(to url: URL) throws {
    var meta = metadata
    meta["format"] = Self.format
    meta["epoch"] = String(epoch)
    meta["step"] = String(step)
    var writer = SafeTensorsWriter(metadata: meta)
    for name in model.keys.sorted() {
      let tensor = model[name]!
      try writer.add(name: "model." + name, shape: tensor.shape, values: tensor.scalars)
    }
    for key in state.keys.sorted() {
      precondition(!key.hasPrefix("model."), "state tensor '\(key)' would clash with the model's")
      try writer.add(name: key, shape: [state[key]!.count], values: state[key]!)
    }
    try writer.write(to: url)
  }

  /// Reads a checkpoint written by ``write(to:)``.
  ///
  /// - Throws: ``TrainingError/invalidCheckpoint(_:reason:)`` naming the file, or the reader's error.
  public init(contentsOf url: URL) throws {
    let file = try SafeTensorsFile(contentsOf: url)
    guard file.metadata["format"] == Self.format else {
      throw TrainingError.invalidCheckpoint(
        url.path,
        reason: "its metadata does not say \(Self.format) (is it a weights file rather than a checkpoint?)")
    }
    guard let epoch = file.metadata["epoch"].flatMap(Int.init),
      let step = file.metadata["step"].flatMap(Int.init)
    else {
      throw TrainingError.invalidCheckpoint(url.path, reason: "epoch or step missing from its metadata")
    }
    var model: [String: Tensor] = [:]
    var state: [String: [Float]] = [:]
    for stored in file.tensors {
      if stored.name.hasPrefix("model.") {
        model[String(stored.name.dropFirst(6))] = Tensor(shape: stored.shape, values: stored.floats())
      } else {
        state[stored.name] = stored.floats()
      }
    }
    var metadata = file.metadata
    for key in ["format", "epoch", "step"] { metadata[key] = nil }
    self.init(model: model, state: state, epoch: epoch, step: step, metadata: metadata)
  }
}
