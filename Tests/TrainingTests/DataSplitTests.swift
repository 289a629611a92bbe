import EfficientNetTraining
import XCTest

final class DataSplitTests: XCTestCase {
  func testSameSeedGivesTheSameSplit() {
    XCTAssertEqual(
      DatasetSplit.split(count: 1000, validationFraction: 0.2, seed: 42),
      DatasetSplit.split(count: 1000, validationFraction: 0.2, seed: 42))
  }

  func testDifferentSeedsGiveDifferentSplits() {
    let first = DatasetSplit.split(count: 1000, validationFraction: 0.2, seed: 1)
    let second = DatasetSplit.split(count: 1000, validationFraction: 0.2, seed: 2)
    XCTAssertNotEqual(Set(first.validation), Set(second.validation))
  }

  func testPartsAreDisjointCoverEverythingAndHaveTheRoundedSizes() {
    for (count, fraction, validationCount) in [
      (1000, 0.2, 200), (7, 0.5, 4), (5, 0.1, 0), (10, 1.0, 10), (0, 0.3, 0),
    ] {
      let split = DatasetSplit.split(count: count, validationFraction: fraction, seed: 9)
      XCTAssertEqual(split.validation.count, validationCount, "\(count) × \(fraction)")
      XCTAssertEqual(split.training.count, count - validationCount)
      XCTAssertTrue(Set(split.training).isDisjoint(with: split.validation))
      XCTAssertEqual(Set(split.training + split.validation), Set(0..<count))
    }
  }

  func testSubsetsAreTheEndsOfOneSeededPermutation() {
    let permutation = DatasetSplit.permutation(count: 5000, seed: 3)
    XCTAssertEqual(permutation.sorted(), Array(0..<5000))
    XCTAssertNotEqual(permutation, Array(0..<5000))
    let split = DatasetSplit.split(count: 5000, trainingCount: 1000, validationCount: 1000, seed: 3)
    XCTAssertEqual(split.training, Array(permutation.prefix(1000)))
    XCTAssertEqual(split.validation, Array(permutation.suffix(1000)))
    // The first 100 of a 1,000-sample training subset are the 100-sample subset.
    let small = DatasetSplit.split(count: 5000, trainingCount: 100, validationCount: 1000, seed: 3)
    XCTAssertEqual(small.training, Array(split.training.prefix(100)))
    XCTAssertEqual(small.validation, split.validation)
  }

  func testRandomSourceIsUniformAndUnbiasedEnough() {
    var random = AugmentationRandom(seed: 5)
    var counts = [Int](repeating: 0, count: 6)
    var sum = 0.0
    for _ in 0..<60_000 {
      counts[random.integer(in: 0...5)] += 1
      sum += random.uniform()
    }
    for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }
    XCTAssertEqual(sum / 60_000, 0.5, accuracy: 0.01)
    var normal = 0.0, square = 0.0
    for _ in 0..<20_000 {
      let value = random.normal()
      normal += value
      square += value * value
    }
    XCTAssertEqual(normal / 20_000, 0, accuracy: 0.03)
    XCTAssertEqual(square / 20_000, 1, accuracy: 0.05)
  }
}
