import EfficientNetImageIO
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// Paths and synthetic images for the data-pipeline tests.
enum DataFixtures {
  /// `Tests/TrainingTests/Fixtures/data` (written by `make_data_fixtures.py`).
  static let directory = RepositoryPaths.fixtures("TrainingTests", "data")

  /// A fixture file or folder.
  static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

  /// Real data in `../shared/data`, or a skip saying it is absent.
  static func sharedData(_ name: String) throws -> URL { try SharedData.require("data/\(name)") }

  /// The fixture images' pattern: `(16x + 3y + 50c) mod 256`.
  static func pattern(x: Int, y: Int, channel: Int) -> UInt8 { UInt8((16 * x + 3 * y + 50 * channel) % 256) }

  /// An image whose every sample is drawn from a seeded generator.
  static func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Preprocessor.SourceImage {
    var random = AugmentationRandom(seed: seed)
    let pixels = (0..<(width * height * channels)).map { _ in UInt8(random.integer(in: 0...255)) }
    return Preprocessor.SourceImage(pixels: pixels, width: width, height: height, channels: channels)
  }

  /// An image from a function of (x, y, channel).
  static func image(
    width: Int, height: Int, channels: Int, _ value: (Int, Int, Int) -> UInt8
  ) -> Preprocessor.SourceImage {
    var pixels = [UInt8]()
    for y in 0..<height {
      for x in 0..<width {
        for channel in 0..<channels { pixels.append(value(x, y, channel)) }
      }
    }
    return Preprocessor.SourceImage(pixels: pixels, width: width, height: height, channels: channels)
  }

  /// The sample at (x, y, channel).
  static func sample(_ image: Preprocessor.SourceImage, _ x: Int, _ y: Int, _ channel: Int = 0) -> UInt8 {
    image.pixels[(y * image.width + x) * image.channels + channel]
  }

  /// A dataset of `count` random images of mixed sizes and channels, labels `index % 3`.
  static func syntheticDataset(count: Int, seed: UInt64 = 7) -> InMemoryDataset {
    let images = (0..<count).map { index in
      randomImage(
        width: 9 + index % 7, height: 11 + (index * 5) % 6, channels: index % 4 == 0 ? 1 : 3,
        seed: seed &+ UInt64(index))
    }
    return InMemoryDataset(images: images, labels: (0..<count).map { $0 % 3 })
  }
}

/// Asserts that `body` throws a `DatasetError` whose description contains every fragment.
func assertDatasetError<T>(
  _ body: @autoclosure () throws -> T, contains fragments: [String], file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertThrowsError(try body(), file: file, line: line) { error in
    guard let error = error as? DatasetError else {
      return XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
    }
    for fragment in fragments {
      XCTAssertTrue(
        error.description.contains(fragment), "\"\(error.description)\" lacks \"\(fragment)\"", file: file,
        line: line)
    }
  }
}
