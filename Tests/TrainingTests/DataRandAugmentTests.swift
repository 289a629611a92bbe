import EfficientNetImageIO
import EfficientNetTraining
import Foundation
import XCTest

/// One Pillow result from `Fixtures/data/pillow_operations.json` (written by `make_pillow_operations.py`).
private struct PillowCase: Decodable {
  var mode: String
  var image: String
  var width: Int
  var height: Int
  var input: [UInt8]
  var op: String
  var arguments: [String: PillowArgument]
  var output: [UInt8]
}

private enum PillowArgument: Decodable {
  case number(Double)
  case text(String)

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else {
      self = .text(try container.decode(String.self))
    }
  }

  var number: Double {
    if case .number(let value) = self { return value }
    return .nan
  }
}

private struct PillowManifest: Decodable {
  var pillow: String
  var cases: [PillowCase]
}

final class DataRandAugmentTests: XCTestCase {
  private static let manifest: PillowManifest? = {
    guard let data = try? Data(contentsOf: DataFixtures.url("pillow_operations.json")) else { return nil }
    return try? JSONDecoder().decode(PillowManifest.self, from: data)
  }()

  private let image = DataFixtures.randomImage(width: 9, height: 7, channels: 3, seed: 11)

  private func transformed(_ body: (inout Preprocessor.SourceImage) -> Void) -> Preprocessor.SourceImage {
    var copy = image
    body(&copy)
    return copy
  }

  func testInvertIs255MinusEachSample() {
    XCTAssertEqual(transformed { ImageOperations.invert(&$0) }.pixels, image.pixels.map { 255 - $0 })
  }

  func testPosterizeKeepsTheTopBits() {
    XCTAssertEqual(
      transformed { ImageOperations.posterize(&$0, bitsToKeep: 3) }.pixels, image.pixels.map { $0 & 0xE0 })
    XCTAssertEqual(
      transformed { ImageOperations.posterize(&$0, bitsToKeep: 1) }.pixels, image.pixels.map { $0 & 0x80 })
    XCTAssertEqual(
      transformed { ImageOperations.posterize(&$0, bitsToKeep: 0) }.pixels, image.pixels.map { _ in 0 })
    XCTAssertEqual(transformed { ImageOperations.posterize(&$0, bitsToKeep: 8) }.pixels, image.pixels)
  }

  func testSolarizeInvertsAtOrAboveTheThreshold() {
    XCTAssertEqual(
      transformed { ImageOperations.solarize(&$0, threshold: 128) }.pixels,
      image.pixels.map { $0 < 128 ? $0 : 255 - $0 })
    XCTAssertEqual(transformed { ImageOperations.solarize(&$0, threshold: 256) }.pixels, image.pixels)
    XCTAssertEqual(
      transformed { ImageOperations.solarize(&$0, threshold: 0) }.pixels, image.pixels.map { 255 - $0 })
  }

  func testSolarizeAddAddsBelowTheThresholdAndClips() {
    XCTAssertEqual(
      transformed { ImageOperations.solarizeAdd(&$0, addition: 99, threshold: 128) }.pixels,
      image.pixels.map { $0 < 128 ? UInt8(min(255, Int($0) + 99)) : $0 })
  }

  func testAutoContrastStretchesEachChannelToTheFullRange() {
    let narrow = DataFixtures.image(width: 4, height: 3, channels: 3) { x, y, channel in
      channel == 2 ? 77 : UInt8(50 + 10 * (x + 4 * y) * (channel + 1) / 2)
    }
    var stretched = narrow
    ImageOperations.autoContrast(&stretched)
    for channel in 0..<3 {
      let values = stride(from: channel, to: narrow.pixels.count, by: 3).map { narrow.pixels[$0] }
      let output = stride(from: channel, to: narrow.pixels.count, by: 3).map { stretched.pixels[$0] }
      guard let low = values.min(), let high = values.max(), high > low else {
        XCTAssertEqual(output, values)  // a constant channel is kept
        continue
      }
      XCTAssertEqual(output.min(), 0)
      XCTAssertEqual(output.max(), 255)
      let scale = 255 / Double(high - low)
      XCTAssertEqual(output, values.map { UInt8(Int((Double($0) - Double(low)) * scale)) })
    }
  }

  func testRotatingASquareBy90DegreesIsATransposeThenVerticalFlip() {
    let square = DataFixtures.randomImage(width: 6, height: 6, channels: 3, seed: 4)
    var rotated = square
    ImageOperations.rotate(&rotated, degrees: 90, fill: [1, 2, 3], resampling: .nearest)
    for y in 0..<6 {
      for x in 0..<6 {
        for channel in 0..<3 {
          // Counter-clockwise: output (x, y) = input (x′ = 5 − y, y′ = x).
          XCTAssertEqual(
            DataFixtures.sample(rotated, x, y, channel), DataFixtures.sample(square, 5 - y, x, channel))
        }
      }
    }
    var bilinear = square
    ImageOperations.rotate(&bilinear, degrees: 90, fill: [1, 2, 3], resampling: .bilinear)
    XCTAssertEqual(bilinear, rotated)
  }

  func testZeroShearZeroTranslationAndZeroRotationAreIdentities() {
    for resampling in AugmentationResampling.allCases {
      XCTAssertEqual(
        transformed { ImageOperations.shearX(&$0, factor: 0, fill: [0, 0, 0], resampling: resampling) }, image
      )
      XCTAssertEqual(
        transformed { ImageOperations.shearY(&$0, factor: 0, fill: [0, 0, 0], resampling: resampling) }, image
      )
      XCTAssertEqual(
        transformed { ImageOperations.translateX(&$0, pixels: 0, fill: [0, 0, 0], resampling: resampling) },
        image)
      XCTAssertEqual(
        transformed { ImageOperations.rotate(&$0, degrees: 0, fill: [0, 0, 0], resampling: resampling) },
        image)
    }
  }

  func testWholePixelTranslationShiftsAndFills() {
    let shifted = transformed {
      ImageOperations.translateX(&$0, pixels: 3, fill: [9, 8, 7], resampling: .nearest)
    }
    let down = transformed {
      ImageOperations.translateY(&$0, pixels: -2, fill: [9, 8, 7], resampling: .bilinear)
    }
    for y in 0..<7 {
      for x in 0..<9 {
        for channel in 0..<3 {
          let expected = x + 3 < 9 ? DataFixtures.sample(image, x + 3, y, channel) : UInt8(9 - channel)
          XCTAssertEqual(DataFixtures.sample(shifted, x, y, channel), expected)
          let expectedDown = y >= 2 ? DataFixtures.sample(image, x, y - 2, channel) : UInt8(9 - channel)
          XCTAssertEqual(DataFixtures.sample(down, x, y, channel), expectedDown)
        }
      }
    }
  }

  func testBrightnessScalesAndContrastZeroGivesTheMeanGray() {
    let brighter = transformed { ImageOperations.brightness(&$0, factor: 1.5) }
    XCTAssertEqual(brighter.pixels, image.pixels.map { UInt8(min(255, (Float($0) * 1.5).rounded(.down))) })
    let flat = transformed { ImageOperations.contrast(&$0, factor: 0) }
    let luma = image.pixels.withUnsafeBufferPointer { Preprocessor.grayscale(rgb: $0) }
    let mean = Int(Double(luma.reduce(0) { $0 + Int($1) }) / Double(luma.count) + 0.5)
    XCTAssertEqual(flat.pixels, [UInt8](repeating: UInt8(mean), count: image.pixels.count))
    let gray = transformed { ImageOperations.color(&$0, factor: 0) }
    XCTAssertEqual(gray.pixels, luma.flatMap { [$0, $0, $0] })
    for factor in [0.0, 1.0, 1.7] {
      XCTAssertEqual(transformed { ImageOperations.sharpness(&$0, factor: 1) }, image)
      // Sharpness leaves the border alone at any factor.
      let sharp = transformed { ImageOperations.sharpness(&$0, factor: factor) }
      for x in 0..<9 {
        XCTAssertEqual(DataFixtures.sample(sharp, x, 0, 1), DataFixtures.sample(image, x, 0, 1))
        XCTAssertEqual(DataFixtures.sample(sharp, x, 6, 2), DataFixtures.sample(image, x, 6, 2))
      }
    }
  }

  func testColourAndGeometricOperationsMatchPillowBitForBit() throws {
    guard let manifest = Self.manifest else { return XCTFail("pillow_operations.json missing or unreadable") }
    for entry in manifest.cases {
      let channels = entry.mode == "RGB" ? 3 : 1
      var image = Preprocessor.SourceImage(
        pixels: entry.input, width: entry.width, height: entry.height, channels: channels)
      let fill: [UInt8] = channels == 3 ? [124, 116, 104] : [117]
      let resampling: AugmentationResampling =
        if case .text("nearest")? = entry.arguments["resampling"] { .nearest } else { .bilinear }
      let factor = entry.arguments["factor"]?.number ?? .nan
      switch entry.op {
      case "autoContrast": ImageOperations.autoContrast(&image)
      case "equalize": ImageOperations.equalize(&image)
      case "color": ImageOperations.color(&image, factor: factor)
      case "contrast": ImageOperations.contrast(&image, factor: factor)
      case "brightness": ImageOperations.brightness(&image, factor: factor)
      case "sharpness": ImageOperations.sharpness(&image, factor: factor)
      case "rotate":
        ImageOperations.rotate(
          &image, degrees: entry.arguments["degrees"]?.number ?? .nan, fill: fill, resampling: resampling)
      case "shearX": ImageOperations.shearX(&image, factor: factor, fill: fill, resampling: resampling)
      case "shearY": ImageOperations.shearY(&image, factor: factor, fill: fill, resampling: resampling)
      case "translateX":
        ImageOperations.translateX(
          &image, pixels: entry.arguments["pixels"]?.number ?? .nan, fill: fill, resampling: resampling)
      case "translateY":
        ImageOperations.translateY(
          &image, pixels: entry.arguments["pixels"]?.number ?? .nan, fill: fill, resampling: resampling)
      default: XCTFail("unknown operation \(entry.op)")
      }
      XCTAssertEqual(
        image.pixels, entry.output, "\(entry.op) \(entry.arguments) on \(entry.mode) \(entry.image)")
    }
    XCTAssertEqual(manifest.cases.count, 160)
  }
}
