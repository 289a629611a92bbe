import EfficientNetCore
import WeightIO

/// The one check of weight values every loader makes, whatever the format (safetensors or `.pth`):
/// every element finite, and every batch-norm running variance ≥ 0 (a negative one turns the folded
/// scale `γ / √(σ² + ε)` into NaN and every prediction with it).
public enum WeightValueValidation {
  /// Whether the tensor called `name` (in any of the naming schemes) is a batch-norm running variance.
  public static func isRunningVariance(_ name: String) -> Bool {
    name.hasSuffix(ParameterRole.runningVariance.parameterSuffix)
  }

  /// Checks `values`, the elements of the tensor `tensor` of `source`.
  ///
  /// - Parameters:
  ///   - values: the tensor's elements, row-major.
  ///   - tensor: its name in the file, for the message.
  ///   - isVariance: whether negative values are refused too.
  ///   - source: the file name, for the message.
  /// - Throws: ``WeightValueError`` naming the first offending element.
  public static func check(
    _ values: UnsafeBufferPointer<Float>, tensor: String, isVariance: Bool, source: String
  ) throws {
    for index in values.indices {
      let value = values[index]
      guard value.isFinite else {
        throw WeightValueError.nonFinite(source: source, tensor: tensor, index: index, value: value)
      }
      if isVariance && value < 0 {
        throw WeightValueError.negativeVariance(source: source, tensor: tensor, index: index, value: value)
      }
    }
  }

  /// Checks every floating-point tensor of a file (integer ones, such as `num_batches_tracked`, are
  /// counters, not weights), converting each to `Float` in one reused buffer.
  ///
  /// Only for tensors viewed in place (safetensors): a strided `.pth` tensor is checked after its shape
  /// was, in ``CheckpointNaming/timmTensors(from:architecture:)``.
  /// - Throws: ``WeightValueError`` naming the first offending tensor and element.
  public static func check(_ tensors: [StoredTensor], source: String) throws {
    let floating = tensors.filter { !$0.dataType.isInteger }
    var scratch = [Float](repeating: 0, count: floating.map(\.elementCount).max() ?? 0)
    for stored in floating {
      try scratch.withUnsafeMutableBufferPointer { buffer in
        let destination = UnsafeMutableBufferPointer(rebasing: buffer[0..<stored.elementCount])
        stored.copyFloats(into: destination)
        try check(
          UnsafeBufferPointer(destination), tensor: stored.name, isVariance: isRunningVariance(stored.name),
          source: source)
      }
    }
  }
}
