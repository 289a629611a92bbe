/// A division of a dataset's samples into a training and a validation part, by sample index.
///
/// Both parts are taken from one seeded permutation of the samples: training from its front,
/// validation from its back, so they are disjoint, and the same seed always gives the same parts. The
/// indices keep the permutation's order, so `training.prefix(n)` is "the first `n` of a seeded
/// permutation" (a random subset of size `n`) and grows consistently with `n`.
public struct DatasetSplit: Equatable, Sendable {
  /// The training samples' indices, in permutation order.
  public var training: [Int]
  /// The validation samples' indices, in permutation order.
  public var validation: [Int]

  /// Creates a split from index lists.
  public init(training: [Int], validation: [Int]) {
    self.training = training
    self.validation = validation
  }

  /// Splits `count` samples by a validation fraction.
  ///
  /// - Parameters:
  ///   - count: The number of samples.
  ///   - validationFraction: The share that goes to validation, in `0 ... 1`; the validation size is
  ///     `round(count × fraction)` (halves to even).
  ///   - seed: The permutation's seed.
  /// - Returns: Training = the first `count − v` of the permutation, validation = the last `v`.
  public static func split(count: Int, validationFraction: Double, seed: UInt64) -> DatasetSplit {
    precondition(count >= 0, "negative sample count \(count)")
    precondition(
      (0...1).contains(validationFraction), "validationFraction must be in 0...1, got \(validationFraction)")
    let validationCount = Int((Double(count) * validationFraction).rounded(.toNearestOrEven))
    return split(
      count: count, trainingCount: count - validationCount, validationCount: validationCount, seed: seed)
  }

  /// Takes a training and a validation subset of given sizes from `count` samples.
  ///
  /// - Parameters:
  ///   - count: The number of samples.
  ///   - trainingCount: The number of training samples (the first ones of the permutation).
  ///   - validationCount: The number of validation samples (the last ones of the permutation);
  ///     `trainingCount + validationCount` must not exceed `count`.
  ///   - seed: The permutation's seed.
  public static func split(count: Int, trainingCount: Int, validationCount: Int, seed: UInt64) -> DatasetSplit
  {
    precondition(
      trainingCount >= 0 && validationCount >= 0 && trainingCount + validationCount <= count,
      "cannot take \(trainingCount) training and \(validationCount) validation samples from \(count)")
    let order = permutation(count: count, seed: seed)
    return DatasetSplit(
      training: Array(order[0..<trainingCount]), validation: Array(order[(count - validationCount)...]))
  }

  /// A seeded permutation of `0 ..< count` (Fisher–Yates); the same seed gives the same order.
  public static func permutation(count: Int, seed: UInt64) -> [Int] {
    var order = Array(0..<count)
    var random = AugmentationRandom(seed: AugmentationRandom.derivedSeed(seed, stream: RandomStream.split))
    random.shuffle(&order)
    return order
  }
}
