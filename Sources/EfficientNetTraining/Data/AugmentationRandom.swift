import EfficientNetCore
import Foundation

/// The random numbers of data loading: uniform reals, bounded integers and normal samples drawn from a
/// `SeededGenerator` with our own arithmetic, so a seed gives the same numbers on every platform and
/// Swift version (the standard library's `random(in:)` algorithms are not promised to stay the same).
///
/// Every random choice the loader makes comes from a generator whose seed is derived from the run's
/// seed, the epoch and the sample's dataset index (``derivedSeed(_:stream:epoch:index:)``), never from
/// a generator shared between threads: which thread handles a sample, and when, changes nothing.
public struct AugmentationRandom: Sendable {
  /// The underlying generator.
  public var generator: SeededGenerator

  /// A source whose numbers depend only on `seed`.
  public init(seed: UInt64) {
    generator = SeededGenerator(seed: seed)
  }

  /// A uniform real in `[0, 1)` with 53 random bits.
  public mutating func uniform() -> Double {
    Double(generator.next() >> 11) * 0x1p-53
  }

  /// A uniform real in `range` (`lowerBound + (upperBound - lowerBound) · u`, as Python's
  /// `random.uniform`).
  public mutating func uniform(in range: ClosedRange<Double>) -> Double {
    range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
  }

  /// A uniform integer in `range`, without bias (Lemire's multiply-and-reject method).
  public mutating func integer(in range: ClosedRange<Int>) -> Int {
    let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
    if span == 0 { return Int(truncatingIfNeeded: generator.next()) }  // the whole 64-bit range
    var product = generator.next().multipliedFullWidth(by: span)
    if product.low < span {
      let threshold = (0 &- span) % span
      while product.low < threshold {
        product = generator.next().multipliedFullWidth(by: span)
      }
    }
    return range.lowerBound &+ Int(truncatingIfNeeded: product.high)
  }

  /// Whether an event of probability `probability` happens (`uniform() < probability`).
  public mutating func happens(probability: Double) -> Bool {
    uniform() < probability
  }

  /// A normal sample with the given mean and standard deviation (Box–Muller).
  public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
    let radius = (-2 * log(1 - uniform())).squareRoot()
    return mean + standardDeviation * radius * cos(2 * Double.pi * uniform())
  }

  /// Shuffles `elements` in place (Fisher–Yates, from the back).
  public mutating func shuffle(_ elements: inout [Int]) {
    guard elements.count > 1 else { return }
    for last in stride(from: elements.count - 1, to: 0, by: -1) {
      elements.swapAt(last, integer(in: 0...last))
    }
  }

  /// The seed of an independent stream: a SplitMix64 hash of the run's seed, a stream number (what the
  /// numbers are for), the epoch and the sample's index. Distinct arguments give unrelated seeds.
  public static func derivedSeed(_ seed: UInt64, stream: UInt64, epoch: Int = 0, index: Int = 0) -> UInt64 {
    var hash = mix(seed ^ 0x5851_F42D_4C95_7F2D)
    hash = mix(hash ^ stream)
    hash = mix(hash ^ UInt64(bitPattern: Int64(epoch)))
    return mix(hash ^ UInt64(bitPattern: Int64(index)))
  }

  /// SplitMix64's finalizer: a bijective, well-mixing hash of 64 bits.
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The streams of ``AugmentationRandom/derivedSeed(_:stream:epoch:index:)`` used by the data pipeline.
enum RandomStream {
  /// The order of an epoch's samples.
  static let epochOrder: UInt64 = 1
  /// One sample's augmentation in one epoch.
  static let sampleAugmentation: UInt64 = 2
  /// A training / validation split.
  static let split: UInt64 = 3
}
