import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `efficientnet embed` and `efficientnet explain`, run as a user would.
final class EmbedExplainTests: XCTestCase {
  private let fixtures = RepositoryPaths.fixtures("ModelTests")

  // MARK: embed

  /// Two photos embedded with the shipped Lite0 give timm's pre-logits features (fixture from
  /// Scripts/make_explanation_fixtures.py), rows in file order, whatever the batch size.
  func testEmbedWritesTimmsPreLogitsFeaturesAndTheFileList() throws {
    let photos = ["chelsea.png", "coffee.png"].map { fixtures.appendingPathComponent("photos/\($0)").path }
    let expected = try SafeTensorsFile(
      contentsOf: fixtures.appendingPathComponent("explanation/lite0_photos.prelogits.safetensors")
    ).tensor(named: "pre_logits").floats()
    for batchSize in ["1", "2"] {
      let output = temporaryLocation("embeddings.safetensors")
      let result = try CLITool.run(["embed"] + photos + ["--output", output.path, "--batch-size", batchSize])
      XCTAssertEqual(result.status, 0, result.error)
      let file = try SafeTensorsFile(contentsOf: output)
      let embeddings = try file.tensor(named: "embeddings")
      XCTAssertEqual(embeddings.shape, [2, 1280])
      XCTAssertEqual(embeddings.dataType, .float32)
      let values = embeddings.floats()
      let worst = zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity
      XCTAssertLessThan(worst, 2e-3, "batch \(batchSize): largest difference from timm")
      XCTAssertEqual(file.metadata["model"], "efficientnet_lite0")
      XCTAssertEqual(file.metadata["resolution"], "224")
      let listed = try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["files"]).utf8))
      XCTAssertEqual(listed as? [String], photos)
    }
  }

  /// A file that cannot be decoded is named, skipped, and turns the exit status to 1; the rest are written.
  func testEmbedSkipsAndReportsFilesThatFail() throws {
    let folder = temporaryLocation("images")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: fixtures.appendingPathComponent("photos/chelsea.jpg"), to: folder.appendingPathComponent("a.jpg"))
    try Data("not an image".utf8).write(to: folder.appendingPathComponent("b.png"))
    try FileManager.default.copyItem(
      at: fixtures.appendingPathComponent("photos/coffee.jpg"), to: folder.appendingPathComponent("c.jpg"))
    let output = folder.appendingPathComponent("out.safetensors")
    let result = try CLITool.run(["embed", folder.path, "--output", output.path, "--resolution", "160"])
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.error.contains("b.png"), result.error)
    let file = try SafeTensorsFile(contentsOf: output)
    XCTAssertEqual(try file.tensor(named: "embeddings").shape, [2, 1280])
    XCTAssertEqual(file.metadata["resolution"], "160")
    let listed = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["files"]).utf8)) as? [String])
    XCTAssertEqual(listed.map { URL(fileURLWithPath: $0).lastPathComponent }, ["a.jpg", "c.jpg"])
    // ReLU6 features: every value lies in [0, 6].
    XCTAssertTrue(try file.tensor(named: "embeddings").floats().allSatisfy { $0 >= 0 && $0 <= 6 })
  }

  // MARK: explain

  /// Reads width, height, bit depth and colour type from a PNG's IHDR chunk.
  private func pngHeader(_ data: Data) throws -> (width: Int, height: Int, bitDepth: Int, colourType: Int) {
    let bytes = [UInt8](data)
    XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
    XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
    func word(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (word(16), word(20), Int(bytes[24]), Int(bytes[25]))
  }

  func testExplainWritesAnRGBPNGOfTheOriginalSize() throws {
    let output = temporaryLocation("heat.png")
    let image = fixtures.appendingPathComponent("photos/chelsea.png").path
    let result = try CLITool.run([
      "explain", image, "--class", "281", "--output", output.path, "--alpha", "0.4",
    ])
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.output.contains("class 281 (tabby)"), result.output)
    let data = try Data(contentsOf: output)
    let header = try pngHeader(data)
    XCTAssertEqual(header.width, 451)
    XCTAssertEqual(header.height, 300)
    XCTAssertEqual(header.bitDepth, 8)
    XCTAssertEqual(header.colourType, 2)
    // Stored deflate blocks: the file holds every row uncompressed, plus fixed framing.
    let payload = (451 * 3 + 1) * 300
    XCTAssertEqual(data.count, 8 + 25 + 12 + 2 + 5 * ((payload + 65_534) / 65_535) + payload + 4 + 12)
  }

  func testExplainRejectsAClassOutsideTheModelAndABadLayer() throws {
    let image = fixtures.appendingPathComponent("photos/coffee.jpg").path
    let output = temporaryLocation("never.png")
    let outside = try CLITool.run(["explain", image, "--class", "1000", "--output", output.path])
    XCTAssertNotEqual(outside.status, 0)
    XCTAssertTrue(outside.error.contains("0..<1000"), outside.error)
    let layer = try CLITool.run(["explain", image, "--layer", "conv9", "--output", output.path])
    XCTAssertNotEqual(layer.status, 0)
    XCTAssertTrue(layer.error.contains("last-block"), layer.error)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
  }
}
