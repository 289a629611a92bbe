import EfficientNetCore
import EfficientNetImageIO
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// The shipped pretrained Lite0 on real photos, against timm's predictions and tensors
/// (`Fixtures/photos`, copied from shared/images).
final class PretrainedLite0Tests: XCTestCase {
  private let photos = Fixtures.directory.appendingPathComponent("photos")

  private struct Expected: Decodable {
    var `class`: Int
    var label: String
    var p: Double
  }

  private func expectations() throws -> [String: [Expected]] {
    let data = try Data(contentsOf: photos.appendingPathComponent("lite0_expected_top5.json"))
    return try JSONDecoder().decode([String: [Expected]].self, from: data)
  }

  /// Every photo (PNG, baseline, progressive and 4:4:4 JPEG) gets timm's top-1 class, with the shipped
  /// F16 weights, our decoding and our preprocessing; probabilities agree to 0.005.
  func testShippedLite0ClassifiesEveryPhotoAsTimmDoes() throws {
    let classifier = try ImageClassifier.pretrainedLite0()
    let expected = try expectations()
    XCTAssertEqual(expected.count, 8)
    for (file, top) in expected.sorted(by: { $0.key < $1.key }) {
      let predictions = try classifier.classify(contentsOf: photos.appendingPathComponent(file), top: 5)
      XCTAssertEqual(predictions[0].classIndex, top[0].class, file)
      XCTAssertEqual(predictions[0].label, top[0].label, file)
      XCTAssertEqual(Double(predictions[0].probability), top[0].p, accuracy: 0.005, file)
      XCTAssertEqual(predictions.map(\.classIndex).prefix(3), top.map(\.class).prefix(3), file)
    }
  }

  /// Decoding + preprocessing reproduce timm's exact input tensors (mean |difference| < 0.02; the
  /// resize is Pillow-exact, so in practice it is far smaller).
  func testPreprocessingMatchesTimmInputsOnEveryPhoto() throws {
    let io = try SafeTensorsFile(contentsOf: photos.appendingPathComponent("lite0_photos.io.safetensors"))
    let configuration = try ModelRegistry.configuration(named: "efficientnet_lite0")
    let classifier = try ImageClassifier(
      model: EfficientNet(architecture: try configuration.resolve(), seed: 1))
    for file in try expectations().keys.sorted() {
      let key = file.replacingOccurrences(of: ".", with: "_") + ".input"
      let expected = try Fixtures.tensor(io, key).nchwToNHWC()
      let image = try ImageDecoder.decode(contentsOf: photos.appendingPathComponent(file))
      let input = classifier.inputTensor(for: image)
      XCTAssertEqual(input.shape, expected.shape, file)
      let differences = zip(input.scalars, expected.scalars).map { abs($0 - $1) }
      let mean = differences.reduce(0, +) / Float(differences.count)
      XCTAssertLessThan(mean, 0.02, file)
      XCTAssertLessThan(differences.max() ?? 0, 1e-5, "\(file): the resize should be exact")
    }
  }

  /// From timm's exact inputs, the F32 weights of the original .pth give timm's logits within 1e-4.
  func testLogitsFromExactInputsMatchTimm() throws {
    let pth = try SharedData.require(SharedData.lite0Checkpoint)
    let model = try EfficientNet.load(
      configuration: try ModelRegistry.configuration(named: "efficientnet_lite0"), contentsOf: pth)
    let engine = InferenceEngine(model: model)
    let io = try SafeTensorsFile(contentsOf: photos.appendingPathComponent("lite0_photos.io.safetensors"))
    for file in try expectations().keys.sorted() {
      let key = file.replacingOccurrences(of: ".", with: "_")
      let logits = try XCTUnwrap(
        try engine.evaluate(try Fixtures.tensor(io, key + ".input").nchwToNHWC()).logits)
      assertClose(
        logits, try Fixtures.tensor(io, key + ".logits").reshaped([1, 1000]), tolerance: 1e-4, file)
    }
  }

  /// The shipped F16 file is the .pth converted: same tensors to half precision.
  func testShippedWeightsAreTheCheckpointInHalfPrecision() throws {
    let pth = try SharedData.require(SharedData.lite0Checkpoint)
    let configuration = try ModelRegistry.configuration(named: "efficientnet_lite0")
    let original = try EfficientNet.load(configuration: configuration, contentsOf: pth)
    let shipped = try EfficientNet(
      configuration: configuration, contentsOf: try PretrainedModels.lite0WeightsURL())
    for spec in original.specs {
      let a = original.tensors[spec.name]!
      let b = shipped.tensors[spec.name]!
      let tolerance = max(maxMagnitude(a) * 1e-3, 1e-7)
      assertClose(b, a, tolerance: tolerance, spec.name)
    }
  }
}
