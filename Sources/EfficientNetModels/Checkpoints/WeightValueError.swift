/// A weight whose value no trained EfficientNet can hold. Every description names the file, the
/// tensor (as the file names it), the first offending element's index and its value.
public enum WeightValueError: Error, Equatable, CustomStringConvertible {
  /// An element is NaN or infinite.
  case nonFinite(source: String, tensor: String, index: Int, value: Float)
  /// An element of a batch-norm running variance is below zero (its square root would be NaN).
  case negativeVariance(source: String, tensor: String, index: Int, value: Float)

  /// A one-line message naming the file, the tensor, the index and the value, and what was expected.
  public var description: String {
    switch self {
    case .nonFinite(let source, let tensor, let index, let value):
      return "\(source): tensor \(tensor) holds \(Self.format(value)) at index \(index); "
        + "weights must be finite numbers"
    case .negativeVariance(let source, let tensor, let index, let value):
      return "\(source): tensor \(tensor) has a negative value \(Self.format(value)) at index \(index); "
        + "batch-norm variances must be ≥ 0"
    }
  }

  /// Compares the cases field by field, values by bit pattern (so that two NaN errors are equal).
  public static func == (first: WeightValueError, second: WeightValueError) -> Bool {
    switch (first, second) {
    case (
      .nonFinite(let source, let tensor, let index, let value),
      .nonFinite(let source2, let tensor2, let index2, let value2)
    ),
      (
        .negativeVariance(let source, let tensor, let index, let value),
        .negativeVariance(let source2, let tensor2, let index2, let value2)
      ):
      return source == source2 && tensor == tensor2 && index == index2
        && value.bitPattern == value2.bitPattern
    default:
      return false
    }
  }

  /// `-3` for a whole number, `NaN`, `inf` and `-inf` for the non-finite, the shortest exact form
  /// otherwise.
  private static func format(_ value: Float) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == value.rounded() && abs(value) < 1e7 { return String(Int(value)) }
    return "\(value)"
  }
}
