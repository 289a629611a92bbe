import ArgumentParser
import EfficientNetModels

/// The accepted range of every flag that sizes work, in one place, and the check that names the flag,
/// the value and the range.
enum FlagLimits {
  /// Images per batch.
  static let batch = 1...4_096
  /// Input side in pixels.
  static let resolution = 8...ArchitectureLimits.maximumResolution
  /// Worker threads.
  static let threads = 1...256
  /// Epochs of training.
  static let epochs = 1...100_000
  /// Loader worker threads.
  static let workers = 1...64
  /// Timed iterations of `bench`.
  static let iterations = 1...1_000_000
  /// Classes.
  static let classes = 2...ArchitectureLimits.maximumClassCount

  /// Throws a validation error naming `flag` unless `value` lies in `range`.
  static func check<Value: Comparable>(_ value: Value, in range: ClosedRange<Value>, _ flag: String) throws {
    guard range.contains(value) else {
      throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
  }

  /// As ``check(_:in:_:)`` for an optional flag: nothing to check when it is absent.
  static func check<Value: Comparable>(_ value: Value?, in range: ClosedRange<Value>, _ flag: String) throws {
    if let value { try check(value, in: range, flag) }
  }

  /// Throws unless `value` is finite and in `range`.
  static func check(_ value: Double?, in range: ClosedRange<Double>, _ flag: String) throws {
    guard let value else { return }
    guard value.isFinite, range.contains(value) else {
      throw ValidationError(
        "\(flag) must be a number in [\(range.lowerBound), \(range.upperBound)], got \(value)")
    }
  }

  /// Throws unless `value` is finite and strictly positive, and at most `maximum`.
  static func checkPositive(_ value: Double?, maximum: Double = 1e6, _ flag: String) throws {
    guard let value else { return }
    guard value.isFinite, value > 0, value <= maximum else {
      throw ValidationError("\(flag) must be a number above 0 and at most \(maximum), got \(value)")
    }
  }
}
