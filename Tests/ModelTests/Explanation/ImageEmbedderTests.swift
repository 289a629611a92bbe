import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// Embeddings are the engine's pooled features and timm's pre-logits features.
final class ImageEmbedderTests: XCTestCase {
  /// chelsea.png and coffee.png through the embedder equal the engine's pooled features on timm's exact
  /// preprocessed inputs, and timm's `forward_head(forward_features(x), pre_logits=True)` with the
  /// same (shipped, float16) weights.
  func testEmbeddingsOfPhotosEqualPooledFeaturesAndTimmPreLogits() throws {
    let model = try EfficientNet(
      configuration: try ModelRegistry.configuration(named: "efficientnet_lite0"),
      contentsOf: try PretrainedModels.lite0WeightsURL())
    let photos = Fixtures.directory.appendingPathComponent("photos")
    let images = try ["chelsea.png", "coffee.png"].map {
      try ImageDecoder.decode(contentsOf: photos.appendingPathComponent($0))
    }
    let embedder = ImageEmbedder(model: model)
    XCTAssertEqual(embedder.featureCount, 1280)
    let embeddings = try embedder.embeddings(for: images)
    XCTAssertEqual(embeddings.shape, [2, 1280])

    let io = try Fixtures.file("photos/lite0_photos.io.safetensors")
    let engine = InferenceEngine(model: model)
    for (row, key) in ["chelsea_png", "coffee_png"].enumerated() {
      let input = try Fixtures.tensor(io, key + ".input").nchwToNHWC()
      let pooled = try engine.evaluate(input).pooledFeatures.scalars
      let embedded = Array(embeddings.scalars[(row * 1280)..<((row + 1) * 1280)])
      assertClose(embedded, pooled, tolerance: 1e-5, "\(key) against the engine")
    }
    let timm = try Fixtures.tensor(
      try Fixtures.file("explanation/lite0_photos.prelogits.safetensors"), "pre_logits")
    assertClose(embeddings, timm, tolerance: 1e-3, "against timm's pre-logits")
  }

  /// A headless model embeds; a batch gives each image the embedding it gets alone.
  func testHeadlessModelEmbedsAndBatchesAgreeWithSingles() throws {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 3, includeClassifier: false)
    let embedder = ImageEmbedder(model: EfficientNet(architecture: try configuration.resolve(), seed: 5))
    embedder.preprocessing.resolution = 64
    let images = (0..<3).map { index in
      DecodedImage(
        width: 40 + index * 13, height: 50, channels: 3,
        samples8: (0..<((40 + index * 13) * 50 * 3)).map { UInt8(($0 * (index + 7)) % 251) })
    }
    let batch = try embedder.embeddings(for: images)
    XCTAssertEqual(batch.shape, [3, embedder.featureCount])
    for (index, image) in images.enumerated() {
      let single = try embedder.embeddings(for: [image]).scalars
      let row = Array(batch.scalars[(index * embedder.featureCount)..<((index + 1) * embedder.featureCount)])
      assertClose(row, single, tolerance: 1e-5, "image \(index)")
    }
    XCTAssertThrowsError(try embedder.embeddings(for: []))
  }
}
