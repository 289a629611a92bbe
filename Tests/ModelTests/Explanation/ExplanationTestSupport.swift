import EfficientNetCore
import EfficientNetModels
import WeightIO
import XCTest

/// The tiny fixture models and their Grad-CAM fixtures (made by Scripts/make_explanation_fixtures.py).
enum ExplanationFixtures {
  /// `tiny_b0` (SiLU) or `tiny_lite` (ReLU6), loaded from `Fixtures/<name>.weights.safetensors`.
  static func tinyModel(_ name: String) throws -> EfficientNet {
    var configuration = try ModelRegistry.configuration(
      named: name == "tiny_lite" ? "efficientnet_lite0" : "efficientnet_b0")
    configuration.widthMultiplier = 0.25
    configuration.depthMultiplier = 0.25
    let weights = try Fixtures.file("\(name).weights.safetensors")
    return try EfficientNet(architecture: try configuration.adapted(to: weights).resolve(), file: weights)
  }

  /// `Fixtures/explanation/<name>.gradcam.safetensors`.
  static func gradCAM(_ name: String) throws -> SafeTensorsFile {
    try Fixtures.file("explanation/\(name).gradcam.safetensors")
  }

  /// The last block's output `[P, C]` of one NHWC input, and its height and width.
  static func lastFeatures(_ model: EfficientNet, input: Tensor) throws -> (
    values: [Float], height: Int, width: Int
  ) {
    let output = try InferenceEngine(model: model).evaluate(input, collectFeatures: true)
    let last = try XCTUnwrap(output.features.last)
    return (last.scalars, last.shape[1], last.shape[2])
  }

  /// A seeded feature map `[P, C]` with a spread like real activations.
  static func randomFeatures(count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in generator.nextNormal() }
  }
}
