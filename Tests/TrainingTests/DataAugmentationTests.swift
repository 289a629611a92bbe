import EfficientNetCore
import EfficientNetImageIO
import EfficientNetTestSupport
import EfficientNetTraining
import XCTest

final class DataAugmentationTests: XCTestCase {
  func testRandomResizedCropStaysInsideAndCoversTheScaleAndRatioRanges() {
    let crop = RandomResizedCropConfiguration()
    var smallest = 1.0, largest = 0.0, narrowest = 10.0, widest = 0.0
    for seed in 0..<4000 as Range<UInt64> {
      var random = AugmentationRandom(seed: seed)
      let region = crop.region(width: 120, height: 90, random: &random)
      XCTAssertTrue(region.x >= 0 && region.y >= 0 && region.width >= 1 && region.height >= 1)
      XCTAssertTrue(region.x + region.width <= 120 && region.y + region.height <= 90, "\(region)")
      let share = Double(region.width * region.height) / (120 * 90)
      let ratio = Double(region.width) / Double(region.height)
      if share < 0.999 {  // not the fallback
        XCTAssertGreaterThanOrEqual(share, 0.07)
        XCTAssertTrue((0.7...1.4).contains(ratio), "ratio \(ratio)")
      }
      smallest = min(smallest, share)
      largest = max(largest, share)
      narrowest = min(narrowest, ratio)
      widest = max(widest, ratio)
    }
    XCTAssertLessThan(smallest, 0.1)
    XCTAssertGreaterThan(largest, 0.9)
    XCTAssertLessThan(narrowest, 0.8)
    XCTAssertGreaterThan(widest, 1.25)
  }

  func testRandomResizedCropFallsBackToTheCenterCropAtTheNearestRatio() {
    // No 0.9–1 share of a 100 × 10 image has a ratio within 3/4 … 4/3: all 10 attempts fail.
    let crop = RandomResizedCropConfiguration(scale: 0.9...1)
    var random = AugmentationRandom(seed: 1)
    XCTAssertEqual(
      crop.region(width: 100, height: 10, random: &random),
      Preprocessor.Region(x: 43, y: 0, width: 13, height: 10))
    XCTAssertEqual(
      crop.region(width: 10, height: 100, random: &random),
      Preprocessor.Region(x: 0, y: 43, width: 10, height: 13))
  }

  func testCropThenResizeEqualsResizingTheCroppedPixels() {
    let image = DataFixtures.randomImage(width: 30, height: 20, channels: 3, seed: 2)
    let configuration = AugmentationConfiguration.training(resolution: 16, horizontalFlipProbability: 0)
    var random = AugmentationRandom(seed: 8)
    let output = SampleAugmenter(configuration: configuration).augmentedPixels(image, random: &random)
    var replay = AugmentationRandom(seed: 8)
    let region = RandomResizedCropConfiguration().region(width: 30, height: 20, random: &replay)
    let cropped = ImageOperations.crop(image, to: region)
    let expected = cropped.pixels.withUnsafeBufferPointer {
      Preprocessor.resize(
        pixels: $0, width: region.width, height: region.height, channels: 3, toWidth: 16, toHeight: 16,
        interpolation: .bicubic)
    }
    XCTAssertEqual(output.pixels, expected)
    for y in 0..<region.height {
      for x in 0..<region.width {
        XCTAssertEqual(
          DataFixtures.sample(cropped, x, y, 1), DataFixtures.sample(image, region.x + x, region.y + y, 1))
      }
    }
  }

  func testFlipProbabilityOneMirrorsAndZeroKeeps() {
    let image = DataFixtures.randomImage(width: 6, height: 6, channels: 3, seed: 3)
    func augmented(_ probability: Double) -> Preprocessor.SourceImage {
      let configuration = AugmentationConfiguration.training(
        resolution: 6, randomResizedCrop: nil, horizontalFlipProbability: probability)
      var random = AugmentationRandom(seed: 1)
      return SampleAugmenter(configuration: configuration).augmentedPixels(image, random: &random)
    }
    XCTAssertEqual(augmented(0), image)
    let flipped = augmented(1)
    for y in 0..<6 {
      for x in 0..<6 {
        for channel in 0..<3 {
          XCTAssertEqual(
            DataFixtures.sample(flipped, x, y, channel), DataFixtures.sample(image, 5 - x, y, channel))
        }
      }
    }
  }

  func testNormalizationIsScaleThenMeanAndDeviation() {
    let image = DataFixtures.randomImage(width: 4, height: 3, channels: 3, seed: 5)
    let mean: [Float] = [0.5, 0.25, 0.75], deviation: [Float] = [0.5, 0.25, 2]
    let configuration = AugmentationConfiguration.training(
      resolution: 4, randomResizedCrop: nil, horizontalFlipProbability: 0, mean: mean,
      standardDeviation: deviation)
    let augmenter = SampleAugmenter(configuration: configuration)
    XCTAssertEqual(configuration.resolution, 4)
    var random = AugmentationRandom(seed: 0)
    // A 4 × 3 image is resized to 4 × 4 first; check against the resized bytes.
    let pixels = augmenter.augmentedPixels(image, random: &random)
    random = AugmentationRandom(seed: 0)
    let tensor = augmenter.transform(image, random: &random)
    XCTAssertEqual(tensor.shape, [1, 4, 4, 3])
    for index in 0..<tensor.count {
      let channel = index % 3
      XCTAssertEqual(
        tensor[flat: index], (Float(pixels.pixels[index]) / 255 - mean[channel]) / deviation[channel])
    }
    XCTAssertEqual(tensor[flat: 0], (Float(pixels.pixels[0]) / 255 - 0.5) / 0.5)
  }

  func testGrayImageIsRepeatedInThreeChannelsAndRGBBecomesLumaForOneChannel() {
    let gray = DataFixtures.randomImage(width: 5, height: 5, channels: 1, seed: 6)
    let three = AugmentationConfiguration.training(
      resolution: 5, randomResizedCrop: nil, horizontalFlipProbability: 0)
    var random = AugmentationRandom(seed: 0)
    let repeated = SampleAugmenter(configuration: three).transform(gray, random: &random)
    XCTAssertEqual(repeated.shape, [1, 5, 5, 3])
    for pixel in 0..<25 {
      for channel in 0..<3 {
        let expected =
          (Float(gray.pixels[pixel]) / 255 - three.mean[channel]) / three.standardDeviation[channel]
        XCTAssertEqual(repeated[flat: pixel * 3 + channel], expected)
      }
    }

    let rgb = DataFixtures.randomImage(width: 5, height: 5, channels: 3, seed: 7)
    let one = AugmentationConfiguration.training(
      resolution: 5, outputChannels: 1, randomResizedCrop: nil, horizontalFlipProbability: 0)
    assertClose(one.mean, [0.449], tolerance: 1e-6)
    let single = SampleAugmenter(configuration: one).transform(rgb, random: &random)
    XCTAssertEqual(single.shape, [1, 5, 5, 1])
    for pixel in 0..<25 {
      let red = UInt32(rgb.pixels[3 * pixel]), green = UInt32(rgb.pixels[3 * pixel + 1])
      let blue = UInt32(rgb.pixels[3 * pixel + 2])
      let luma = (red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16
      XCTAssertEqual(single[flat: pixel], (Float(luma) / 255 - one.mean[0]) / one.standardDeviation[0])
    }
  }

  func testEvaluationModeIsTimmsEvalTransform() {
    let image = DataFixtures.randomImage(width: 40, height: 30, channels: 3, seed: 9)
    let configuration = AugmentationConfiguration.evaluation(resolution: 24, cropFraction: 0.9)
    var random = AugmentationRandom(seed: 0)
    let output = SampleAugmenter(configuration: configuration).transform(image, random: &random)
    let expected = image.pixels.withUnsafeBufferPointer {
      Preprocessor.preprocess(
        pixels: $0, width: 40, height: 30, channels: 3,
        configuration: PreprocessingConfiguration(resolution: 24, cropFraction: 0.9))
    }
    XCTAssertEqual(output, expected)
  }

  func testFillColourIsTheRoundedMean() {
    let configuration = AugmentationConfiguration.training(resolution: 8)
    XCTAssertEqual(configuration.fillColor(channels: 3), [124, 116, 104])
    XCTAssertEqual(configuration.fillColor(channels: 1), [117])
  }
}
