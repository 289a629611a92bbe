import EfficientNetCore
import Foundation

/// Pseudo-random weights that a fixture script rebuilds exactly in Python: each tensor's values come
/// from ``SplitMix64`` seeded by the FNV-1a hash of its name (the top 24 bits of each draw, as
/// `k / 2²³ − 1`, exact in float32), scaled by what the tensor is. The detector fixtures
/// (`Tests/DetectionTests/Fixtures/make_detector_parity.py`) use the same rule, so only outputs
/// are stored.
public enum DeterministicWeights {
  /// FNV-1a, 64 bits, over the UTF-8 bytes of `text`.
  public static func hash(_ text: String) -> UInt64 {
    var value: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return value
  }

  /// `count` values in [−1, 1) drawn for `name`.
  public static func uniform(count: Int, name: String) -> [Double] {
    var generator = SplitMix64(seed: hash(name))
    return (0..<count).map { _ in Double(generator.next() >> 40) / 8_388_608 - 1 }
  }

  /// The tensor `name` of `shape`: fusion weights in [−1, 1); running variances in [0.5, 1.5);
  /// running means and biases within ±0.1; batch-norm scales in [0.75, 1.25); convolutions
  /// uniform with variance 1/fan-in.
  public static func tensor(named name: String, shape: [Int]) -> Tensor {
    let count = shape.reduce(1, *)
    let u = uniform(count: count, name: name)
    let values: [Double]
    if name.hasSuffix("edge_weights") {
      values = u
    } else if name.hasSuffix("running_var") {
      values = u.map { 1 + 0.5 * $0 }
    } else if name.hasSuffix("running_mean") || name.hasSuffix(".bias") {
      values = u.map { 0.1 * $0 }
    } else if shape.count == 1 {
      values = u.map { 1 + 0.25 * $0 }
    } else {
      let scale = (3 / Double(shape.dropFirst().reduce(1, *))).squareRoot()
      values = u.map { $0 * scale }
    }
    return Tensor(shape: shape, values: values.map { Float($0) })
  }

  /// ``tensor(named:shape:)`` for every `(name, shape)` of `parameters`, by name.
  public static func tensors(_ parameters: [(name: String, shape: [Int])]) -> [String: Tensor] {
    Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, tensor(named: $0.name, shape: $0.shape)) })
  }
}
