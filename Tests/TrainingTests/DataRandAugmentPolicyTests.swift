import EfficientNetImageIO
import EfficientNetTraining
import XCTest

final class DataRandAugmentPolicyTests: XCTestCase {
  private let image = DataFixtures.randomImage(width: 10, height: 8, channels: 3, seed: 21)

  private func applying(
    _ operation: RandAugmentOperation, level: Double,
    policy: RandAugmentConfiguration = RandAugmentConfiguration()
  ) -> Preprocessor.SourceImage {
    var copy = image
    var random = AugmentationRandom(seed: 1)
    policy.apply(operation, level: level, to: &copy, fill: [1, 2, 3], random: &random)
    return copy
  }

  private func direct(_ body: (inout Preprocessor.SourceImage) -> Void) -> Preprocessor.SourceImage {
    var copy = image
    body(&copy)
    return copy
  }

  func testMagnitudeMapsToTimmArguments() {
    // Posterize: int(4 · 9 / 10) = 3 bits; increasing: 4 − 3 = 1.
    XCTAssertEqual(applying(.posterize, level: 9), direct { ImageOperations.posterize(&$0, bitsToKeep: 3) })
    XCTAssertEqual(
      applying(.posterize, level: 9, policy: RandAugmentConfiguration(increasing: true)),
      direct { ImageOperations.posterize(&$0, bitsToKeep: 1) })
    // Solarize: int(256 · 5 / 10) = 128; increasing: 256 − 230 = 26 at level 9.
    XCTAssertEqual(applying(.solarize, level: 5), direct { ImageOperations.solarize(&$0, threshold: 128) })
    XCTAssertEqual(
      applying(.solarize, level: 9, policy: RandAugmentConfiguration(increasing: true)),
      direct { ImageOperations.solarize(&$0, threshold: 26) })
    // SolarizeAdd: int(110 · 9 / 10) = 99 below 128.
    XCTAssertEqual(
      applying(.solarizeAdd, level: 9), direct { ImageOperations.solarizeAdd(&$0, addition: 99) })
    // Enhance operations: 0.1 + 1.8 · 9 / 10 = 1.72.
    XCTAssertEqual(applying(.contrast, level: 9), direct { ImageOperations.contrast(&$0, factor: 1.72) })
    XCTAssertEqual(applying(.color, level: 9), direct { ImageOperations.color(&$0, factor: 1.72) })
    XCTAssertEqual(applying(.brightness, level: 0), direct { ImageOperations.brightness(&$0, factor: 0.1) })
    XCTAssertEqual(applying(.sharpness, level: 10), direct { ImageOperations.sharpness(&$0, factor: 1.9) })
  }

  func testSignedOperationsUseEitherSignOfTheirMagnitude() {
    let policy = RandAugmentConfiguration(resampling: .nearest)
    let candidates = [27.0, -27.0].map { degrees in
      direct { ImageOperations.rotate(&$0, degrees: degrees, fill: [1, 2, 3], resampling: .nearest) }
    }
    let shifts = [0.405 * 10, -0.405 * 10].map { pixels in
      direct { ImageOperations.translateX(&$0, pixels: pixels, fill: [1, 2, 3], resampling: .nearest) }
    }
    var seen = Set<Int>()
    for seed in 0..<40 as Range<UInt64> {
      var random = AugmentationRandom(seed: seed)
      var rotated = image
      policy.apply(.rotate, level: 9, to: &rotated, fill: [1, 2, 3], random: &random)
      guard let which = candidates.firstIndex(of: rotated) else { return XCTFail("rotation by neither ±27°") }
      seen.insert(which)
      var shifted = image
      policy.apply(.translateXRelative, level: 9, to: &shifted, fill: [1, 2, 3], random: &random)
      XCTAssertTrue(shifts.contains(shifted), "translation by neither ±40.5% of the width")
    }
    XCTAssertEqual(seen, [0, 1])
  }

  func testZeroProbabilityOrZeroLayersLeaveTheImage() {
    for policy in [RandAugmentConfiguration(probability: 0), RandAugmentConfiguration(layers: 0)] {
      var copy = image
      var random = AugmentationRandom(seed: 3)
      policy.apply(to: &copy, fill: [0, 0, 0], random: &random)
      XCTAssertEqual(copy, image)
    }
  }

  func testSingleOperationPolicyAtProbabilityOneAppliesIt() {
    let policy = RandAugmentConfiguration(layers: 2, magnitude: 5, probability: 1, operations: [.invert])
    var copy = image
    var random = AugmentationRandom(seed: 3)
    policy.apply(to: &copy, fill: [0, 0, 0], random: &random)
    XCTAssertEqual(copy, image)  // inverted twice
    let once = RandAugmentConfiguration(layers: 1, magnitude: 5, probability: 1, operations: [.solarize])
    once.apply(to: &copy, fill: [0, 0, 0], random: &random)
    XCTAssertEqual(copy, direct { ImageOperations.solarize(&$0, threshold: 128) })
  }

  func testTimmSpecificationStringsParse() throws {
    let standard = try RandAugmentConfiguration(timmSpecification: "rand-m9-n2-mstd0.5")
    XCTAssertEqual(standard.magnitude, 9)
    XCTAssertEqual(standard.layers, 2)
    XCTAssertEqual(standard.magnitudeStandardDeviation, 0.5)
    XCTAssertEqual(standard.probability, 0.5)
    XCTAssertEqual(standard.operations, RandAugmentOperation.allCases)
    let other = try RandAugmentConfiguration(timmSpecification: "rand-m7-mstd101-inc1-p0.7-mmax12-n3")
    XCTAssertEqual(other.magnitudeStandardDeviation, .infinity)
    XCTAssertTrue(other.increasing)
    XCTAssertEqual(other.probability, 0.7)
    XCTAssertEqual(other.magnitudeMaximum, 12)
    XCTAssertEqual(other.layers, 3)
    XCTAssertEqual(try RandAugmentConfiguration(timmSpecification: "rand").magnitude, 10)
    for bad in ["rund-m9", "rand-x3", "rand-m", "rand-p2"] {
      XCTAssertThrowsError(try RandAugmentConfiguration(timmSpecification: bad)) { error in
        XCTAssertTrue("\(error)".contains(bad), "\(error)")
      }
    }
  }
}
