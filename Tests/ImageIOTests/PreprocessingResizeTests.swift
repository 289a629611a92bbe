import EfficientNetCore
import EfficientNetImageIO
import EfficientNetTestSupport
import XCTest

/// The resize is bit-identical to Pillow's and within 1 of a double-precision reference.
final class PreprocessingResizeTests: XCTestCase {
  func testResizeMatchesPillowExactlyOnEveryFixture() throws {
    let fixtures = try PreprocessingFixtures.load()
    XCTAssertGreaterThan(fixtures.resizes.count, 100)
    for expected in fixtures.resizes {
      let source = try fixtures.image(named: expected.image)
      let pixels = fixtures.bytes(offset: source.offset, length: source.length)
      let interpolation = try XCTUnwrap(Interpolation(rawValue: expected.interpolation))
      let resized = pixels.withUnsafeBufferPointer {
        Preprocessor.resize(
          pixels: $0, width: source.width, height: source.height, channels: source.channels,
          toWidth: expected.width, toHeight: expected.height, interpolation: interpolation)
      }
      let pillow = fixtures.bytes(offset: expected.offset, length: expected.length)
      XCTAssertEqual(
        maximumDifference(resized, pillow), 0,
        "\(expected.image) \(source.width)×\(source.height) → \(expected.width)×\(expected.height) \(interpolation)"
      )
    }
  }

  func testGrayscaleMatchesPillowConvertToL() throws {
    let fixtures = try PreprocessingFixtures.load()
    let rgb = try fixtures.image(named: "rgb_random")
    let gray = try fixtures.image(named: "rgb_random_as_gray")
    let converted = fixtures.bytes(offset: rgb.offset, length: rgb.length).withUnsafeBufferPointer {
      Preprocessor.grayscale(rgb: $0)
    }
    XCTAssertEqual(converted, fixtures.bytes(offset: gray.offset, length: gray.length))
    // Pure white, black and primaries: 255 stays 255 and the weights are ITU-R 601-2's.
    let primaries: [UInt8] = [255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]
    XCTAssertEqual(
      primaries.withUnsafeBufferPointer { Preprocessor.grayscale(rgb: $0) }, [255, 0, 76, 150, 29])
  }

  func testResizeStaysWithinOneOfDoublePrecisionReferenceAtAwkwardSizes() {
    var generator = SeededGenerator(seed: 7)
    let sizes = [(1, 1), (1, 9), (2, 3), (7, 5), (8, 8), (9, 17), (16, 15), (31, 33), (40, 23)]
    var largestDifference = 0
    for (width, height) in sizes {
      for channels in [1, 3] {
        // Smooth ramps plus noise plus a hard edge: both ringing and clipping happen.
        let pixels = (0..<(width * height * channels)).map { index -> UInt8 in
          let pixel = index / channels
          if (pixel % width) * 3 > width * 2 { return 255 }
          return UInt8(
            truncatingIfNeeded: (pixel % width) * 7 + (pixel / width) * 3
              + Int.random(in: 0..<40, using: &generator))
        }
        // Shrinking, enlarging, both at once, 1 pixel, and the vertical-first order (last).
        let targets = [
          (1, 1), (3, 2), (13, 11), (width * 2 + 1, height), (width, height * 3 - 1),
          (max(1, width / 3), height + 4), (max(1, width - 1), max(1, height / 4)),
        ]
        for (toWidth, toHeight) in targets {
          for interpolation in Interpolation.allCases {
            let (fast, reference) = pixels.withUnsafeBufferPointer {
              (
                Preprocessor.resize(
                  pixels: $0, width: width, height: height, channels: channels, toWidth: toWidth,
                  toHeight: toHeight, interpolation: interpolation),
                Preprocessor.resizeReference(
                  pixels: $0, width: width, height: height, channels: channels, toWidth: toWidth,
                  toHeight: toHeight, interpolation: interpolation)
              )
            }
            let difference = maximumDifference(fast, reference)
            largestDifference = max(largestDifference, difference)
            XCTAssertLessThanOrEqual(
              difference, 1, "\(width)×\(height)×\(channels) → \(toWidth)×\(toHeight) \(interpolation)")
          }
        }
      }
    }
    XCTAssertEqual(
      largestDifference, 1, "the reference does not round the intermediate: some pixel should differ")
  }

  func testRegionOfResizeEqualsCropOfFullResize() {
    var generator = SeededGenerator(seed: 7)
    // Both passes, horizontal only, vertical only, enlarging, identity, vertical pass first.
    let resizes = [
      (61, 47, 23, 19), (61, 47, 61, 20), (61, 47, 20, 47), (20, 30, 45, 50), (9, 7, 9, 7), (30, 61, 25, 12),
    ]
    for (width, height, toWidth, toHeight) in resizes {
      for channels in [1, 3] {
        let pixels = (0..<(width * height * channels)).map { _ in
          UInt8.random(in: 0...255, using: &generator)
        }
        for interpolation in Interpolation.allCases {
          let full = pixels.withUnsafeBufferPointer {
            Preprocessor.resize(
              pixels: $0, width: width, height: height, channels: channels, toWidth: toWidth,
              toHeight: toHeight, interpolation: interpolation)
          }
          for _ in 0..<8 {
            let x = Int.random(in: 0..<toWidth, using: &generator)
            let y = Int.random(in: 0..<toHeight, using: &generator)
            let region = Preprocessor.Region(
              x: x, y: y, width: Int.random(in: 1...(toWidth - x), using: &generator),
              height: Int.random(in: 1...(toHeight - y), using: &generator))
            let part = pixels.withUnsafeBufferPointer {
              Preprocessor.resize(
                pixels: $0, width: width, height: height, channels: channels, toWidth: toWidth,
                toHeight: toHeight, interpolation: interpolation, keeping: region)
            }
            var cropped: [UInt8] = []
            for row in region.y..<(region.y + region.height) {
              let start = (row * toWidth + region.x) * channels
              cropped += full[start..<(start + region.width * channels)]
            }
            XCTAssertEqual(part, cropped, "\(width)×\(height) → \(toWidth)×\(toHeight), region \(region)")
          }
        }
      }
    }
  }

  func testResizedSizeKeepsAspectRatioWithTruncation() {
    // torchvision: the shorter side becomes the size, the longer int(size * long / short).
    XCTAssertTrue(Preprocessor.resizedSize(width: 1776, height: 1416, shorterSide: 256) == (321, 256))
    XCTAssertTrue(Preprocessor.resizedSize(width: 451, height: 300, shorterSide: 256) == (384, 256))
    XCTAssertTrue(Preprocessor.resizedSize(width: 300, height: 451, shorterSide: 256) == (256, 384))
    XCTAssertTrue(Preprocessor.resizedSize(width: 600, height: 400, shorterSide: 256) == (384, 256))
    XCTAssertTrue(Preprocessor.resizedSize(width: 50, height: 50, shorterSide: 256) == (256, 256))
    XCTAssertTrue(Preprocessor.resizedSize(width: 3, height: 10, shorterSide: 7) == (7, 23))
  }
}
