/// The largest network this library builds, counts or loads. Each bound sits far beyond every
/// published EfficientNet (L2: width 4.3, depth 5.3, 800 px, 5,504 head channels, 94 blocks) and keeps
/// every size computed from it, MACs included, inside 64-bit integers, so an absurd flag or block
/// string is refused by name before any arithmetic can overflow or any memory is reserved.
public enum ArchitectureLimits {
  /// Width and depth multipliers: at most 64.
  public static let maximumMultiplier = 64.0
  /// Any layer's channel count (after scaling and expansion): at most 65,536.
  public static let maximumChannels = 65_536
  /// Blocks in the whole network (after depth scaling): at most 4,096.
  public static let maximumBlockCount = 4_096
  /// Input side in pixels: at most 8,192.
  public static let maximumResolution = 8_192
  /// Depthwise kernel side: at most 15.
  public static let maximumKernelSize = 15
  /// Expansion ratio of one block: at most 64.
  public static let maximumExpansionRatio = 64
  /// Classes of the classifier: at most 100,000 (ImageNet-21k has 21,843).
  public static let maximumClassCount = 100_000
  /// Input channels: at most 256.
  public static let maximumInputChannels = 256

  /// Throws ``ArchitectureError/invalidValue(name:value:reason:)`` when `value` is outside `range`.
  static func check<Value: Comparable>(_ value: Value, in range: ClosedRange<Value>, _ name: String) throws {
    guard range.contains(value) else {
      throw ArchitectureError.invalidValue(
        name: name, value: "\(value)", reason: "must be in \(range.lowerBound)...\(range.upperBound)")
    }
  }
}
