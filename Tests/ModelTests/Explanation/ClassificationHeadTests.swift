import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// The head arithmetic that Grad-CAM differentiates: it reproduces the engine, and its gradients are the
/// finite differences of the class score.
final class ClassificationHeadTests: XCTestCase {
  func testHeadReproducesTheEngineLogitsAndPooledFeatures() throws {
    for name in ["tiny_b0", "tiny_lite"] {
      let model = try ExplanationFixtures.tinyModel(name)
      let input = try Fixtures.tensor(try ExplanationFixtures.gradCAM(name), "input").nchwToNHWC()
      let output = try InferenceEngine(model: model).evaluate(input, collectFeatures: true)
      let features = try ExplanationFixtures.lastFeatures(model, input: input)
      let pixels = features.height * features.width
      let head = try ClassificationHead(model: model)
      let activations = head.activations(features: features.values, pixels: pixels)
      var pooled = [Float](repeating: 0, count: head.headChannels)
      for (index, value) in activations.enumerated() {
        pooled[index % head.headChannels] += value / Float(pixels)
      }
      assertClose(pooled, output.pooledFeatures.scalars, tolerance: 1e-4, "\(name) pooled features")
      let logits = head.logits(activations: activations, pixels: pixels).map { Float($0) }
      assertClose(logits, try XCTUnwrap(output.logits).scalars, tolerance: 1e-4, "\(name) logits")
    }
  }

  /// Central differences of the class score at single feature values (SiLU head: smooth everywhere).
  func testFeatureGradientEqualsFiniteDifferencesOfTheScore() throws {
    let model = try ExplanationFixtures.tinyModel("tiny_b0")
    let head = try ClassificationHead(model: model)
    let pixels = 6
    let features = ExplanationFixtures.randomFeatures(count: pixels * head.featureChannels, seed: 3)
    let classIndex = 7
    let gradient = head.featureGradient(features: features, pixels: pixels, classIndex: classIndex)
    let step: Float = 1e-2
    for index in [0, 1, 17, 79, 80, 250, pixels * head.featureChannels - 1] {
      var plus = features
      plus[index] += step
      var minus = features
      minus[index] -= step
      let difference =
        (head.score(features: plus, pixels: pixels, classIndex: classIndex)
          - head.score(features: minus, pixels: pixels, classIndex: classIndex)) / Double(2 * step)
      XCTAssertEqual(
        Double(gradient[index]), difference, accuracy: 1e-4 + 1e-3 * abs(difference), "index \(index)")
    }
  }

  /// α_k · P is the derivative of the score when channel k moves by the same amount at every position:
  /// Grad-CAM's weights checked against finite differences, for both layers.
  func testGradCAMWeightsEqualFiniteDifferencesOfAChannelShift() throws {
    let model = try ExplanationFixtures.tinyModel("tiny_b0")
    let head = try ClassificationHead(model: model)
    let input = try Fixtures.tensor(try ExplanationFixtures.gradCAM("tiny_b0"), "input").nchwToNHWC()
    let features = try ExplanationFixtures.lastFeatures(model, input: input)
    let pixels = features.height * features.width
    let classIndex = 3
    let activations = head.activations(features: features.values, pixels: pixels)
    let step: Float = 1e-2

    func shifted(_ values: [Float], channel: Int, channels: Int, by amount: Float) -> [Float] {
      var result = values
      for position in 0..<pixels { result[position * channels + channel] += amount }
      return result
    }
    let headWeights = GradCAM.weightedMap(
      values: activations, gradient: head.activationGradient(pixels: pixels, classIndex: classIndex),
      pixels: pixels
    ).weights
    for channel in [0, 5, 100, head.headChannels - 1] {
      let difference =
        (head.score(
          activations: shifted(activations, channel: channel, channels: head.headChannels, by: step),
          pixels: pixels, classIndex: classIndex)
          - head.score(
            activations: shifted(activations, channel: channel, channels: head.headChannels, by: -step),
            pixels: pixels, classIndex: classIndex)) / Double(2 * step)
      XCTAssertEqual(
        Double(headWeights[channel]) * Double(pixels), difference, accuracy: 1e-5, "head \(channel)")
    }
    let blockWeights = GradCAM.weightedMap(
      values: features.values,
      gradient: head.featureGradient(features: features.values, pixels: pixels, classIndex: classIndex),
      pixels: pixels
    ).weights
    for channel in [0, 3, 41, head.featureChannels - 1] {
      let difference =
        (head.score(
          features: shifted(features.values, channel: channel, channels: head.featureChannels, by: step),
          pixels: pixels, classIndex: classIndex)
          - head.score(
            features: shifted(features.values, channel: channel, channels: head.featureChannels, by: -step),
            pixels: pixels, classIndex: classIndex)) / Double(2 * step)
      XCTAssertEqual(
        Double(blockWeights[channel]) * Double(pixels), difference, accuracy: 1e-4 + 1e-3 * abs(difference),
        "block \(channel)")
    }
  }

  func testHeadlessModelIsRefused() throws {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 3, includeClassifier: false)
    let model = EfficientNet(architecture: try configuration.resolve(), seed: 1)
    XCTAssertThrowsError(try ClassificationHead(model: model)) { error in
      XCTAssertTrue("\(error)".contains("headless"), "\(error)")
    }
  }
}
