import EfficientNetCore
import EfficientNetImageIO
import XCTest

/// The whole evaluation transform matches torchvision's Resize, CenterCrop, ToTensor, Normalize.
final class PreprocessingPipelineTests: XCTestCase {
  func testPipelineMatchesTorchvisionTransformsOnFixtures() throws {
    let fixtures = try PreprocessingFixtures.load()
    XCTAssertEqual(fixtures.pipelines.count, 5)
    for expected in fixtures.pipelines {
      let source = try fixtures.image(named: expected.image)
      let configuration = PreprocessingConfiguration(
        resolution: expected.resolution, cropFraction: expected.crop_pct,
        interpolation: try XCTUnwrap(Interpolation(rawValue: expected.interpolation)), mean: expected.mean,
        standardDeviation: expected.std)
      let tensor = fixtures.bytes(offset: source.offset, length: source.length).withUnsafeBufferPointer {
        Preprocessor.preprocess(
          pixels: $0, width: source.width, height: source.height, channels: source.channels,
          configuration: configuration, outputChannels: expected.output_channels)
      }
      XCTAssertEqual(tensor.shape, [1, expected.resolution, expected.resolution, expected.output_channels])
      let reference = fixtures.floats(offset: expected.offset, length: expected.length)
      let difference = zip(tensor.scalars, reference).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThanOrEqual(
        difference, 1e-6, "\(expected.image) at \(expected.resolution), \(expected.interpolation)")
    }
  }

  func testImageNetConfigurationIsTimmDefault() {
    let configuration = PreprocessingConfiguration.imageNet
    XCTAssertEqual(configuration.resolution, 224)
    XCTAssertEqual(configuration.cropFraction, 0.875)
    XCTAssertEqual(configuration.interpolation, .bicubic)
    XCTAssertEqual(configuration.mean, [0.485, 0.456, 0.406])
    XCTAssertEqual(configuration.standardDeviation, [0.229, 0.224, 0.225])
    XCTAssertEqual(configuration.resizeSize, 256)
    // timm: math.floor(img_size / crop_pct), e.g. tf_efficientnet_b1, b3 and b4 evaluation settings.
    XCTAssertEqual(PreprocessingConfiguration(resolution: 240, cropFraction: 0.882).resizeSize, 272)
    XCTAssertEqual(PreprocessingConfiguration(resolution: 300, cropFraction: 0.904).resizeSize, 331)
    XCTAssertEqual(PreprocessingConfiguration(resolution: 380, cropFraction: 0.922).resizeSize, 412)
    XCTAssertEqual(PreprocessingConfiguration(resolution: 224, cropFraction: 1.0).resizeSize, 224)
  }

  func testConstantImageNormalizesToKnownValues() {
    // A uniform image stays uniform through resize and crop: every pixel is (v / 255 - mean) / std.
    let pixels = [UInt8](repeating: 200, count: 50 * 40 * 3)
    let configuration = PreprocessingConfiguration(resolution: 16)
    let tensor = pixels.withUnsafeBufferPointer {
      Preprocessor.preprocess(pixels: $0, width: 50, height: 40, channels: 3, configuration: configuration)
    }
    let expected = (0..<3).map {
      (Float(200) / 255 - configuration.mean[$0]) / configuration.standardDeviation[$0]
    }
    for (index, value) in tensor.scalars.enumerated() {
      XCTAssertEqual(value, expected[index % 3], "element \(index)")
    }
  }

  func testGrayImageFillsEveryChannelOfRGBModel() {
    var generator = SeededGenerator(seed: 7)
    let gray = (0..<(37 * 29)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let rgb = gray.flatMap { [$0, $0, $0] }
    let configuration = PreprocessingConfiguration(resolution: 20, cropFraction: 0.9)
    let fromGray = gray.withUnsafeBufferPointer {
      Preprocessor.preprocess(pixels: $0, width: 37, height: 29, channels: 1, configuration: configuration)
    }
    let fromRGB = rgb.withUnsafeBufferPointer {
      Preprocessor.preprocess(pixels: $0, width: 37, height: 29, channels: 3, configuration: configuration)
    }
    XCTAssertEqual(fromGray, fromRGB)
  }

  func testBatchEqualsEachImagePreprocessedAlone() {
    var generator = SeededGenerator(seed: 7)
    let images = [(41, 30, 3), (25, 52, 3), (33, 33, 1)].map { width, height, channels in
      Preprocessor.SourceImage(
        pixels: (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &generator) },
        width: width, height: height, channels: channels)
    }
    let configuration = PreprocessingConfiguration(resolution: 24, interpolation: .bilinear)
    let batch = Preprocessor.preprocessBatch(images, configuration: configuration)
    XCTAssertEqual(batch.shape, [3, 24, 24, 3])
    let singles = images.flatMap { image in
      image.pixels.withUnsafeBufferPointer {
        Preprocessor.preprocess(
          pixels: $0, width: image.width, height: image.height, channels: image.channels,
          configuration: configuration
        ).scalars
      }
    }
    XCTAssertEqual(batch.scalars, singles)
  }
}
