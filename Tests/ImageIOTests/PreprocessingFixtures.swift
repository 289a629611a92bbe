import EfficientNetTestSupport
import Foundation
import XCTest

/// The Pillow / torchvision outputs written by `Fixtures/preprocessing/make_preprocessing_fixtures.py`.
struct PreprocessingFixtures: Decodable {
  /// A source image: raw interleaved bytes.
  struct Image: Decodable {
    let name: String
    let width: Int
    let height: Int
    let channels: Int
    let offset: Int
    let length: Int
  }

  /// Pillow's `image.resize((width, height), filter)` of `image`.
  struct Resize: Decodable {
    let image: String
    let width: Int
    let height: Int
    let interpolation: String
    let offset: Int
    let length: Int
  }

  /// The eval pipeline's float32 output (`resolution × resolution × output_channels`, HWC).
  struct Pipeline: Decodable {
    let image: String
    let resolution: Int
    let crop_pct: Double
    let interpolation: String
    let output_channels: Int
    let mean: [Float]
    let std: [Float]
    let offset: Int
    let length: Int
  }

  let images: [Image]
  let resizes: [Resize]
  let pipelines: [Pipeline]

  /// The raw bytes every entry's `offset` and `length` point into.
  private(set) var blob = Data()

  private enum CodingKeys: String, CodingKey { case images, resizes, pipelines }

  /// Reads `preprocessing.json` and `preprocessing.bin` from the fixtures folder.
  static func load() throws -> PreprocessingFixtures {
    let folder = RepositoryPaths.fixtures("ImageIOTests", "preprocessing")
    var fixtures = try JSONDecoder().decode(
      PreprocessingFixtures.self, from: Data(contentsOf: folder.appendingPathComponent("preprocessing.json")))
    fixtures.blob = try Data(contentsOf: folder.appendingPathComponent("preprocessing.bin"))
    return fixtures
  }

  /// The bytes at `offset ..< offset + length`.
  func bytes(offset: Int, length: Int) -> [UInt8] {
    [UInt8](blob[offset..<(offset + length)])
  }

  /// The little-endian float32 values at `offset ..< offset + length`.
  func floats(offset: Int, length: Int) -> [Float] {
    LittleEndian.floats(bytes(offset: offset, length: length))
  }

  /// The source image called `name`.
  func image(named name: String) throws -> Image {
    try XCTUnwrap(images.first { $0.name == name }, "no fixture image \(name)")
  }
}
