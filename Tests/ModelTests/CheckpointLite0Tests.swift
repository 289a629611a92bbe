import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// The real EfficientNet-Lite0 checkpoint (legacy format, lukemelas names) in `../shared/weights`.
final class CheckpointLite0Tests: XCTestCase {
  private func lite0URL() throws -> URL { try SharedData.require(SharedData.lite0Checkpoint) }

  /// Values from `torch.load(path, weights_only=True)` (torch 2.13): lukemelas's `_blocks.15` is timm's
  /// `blocks.6.0` and `_fc` is `classifier`.
  func testLite0MapsOntoEfficientNetLite0AndBuilds() throws {
    let url = try lite0URL()
    let checkpoint = try PyTorchCheckpoint(contentsOf: url)
    XCTAssertEqual(try CheckpointNaming.detect(checkpoint.names), .lukemelas)
    let model = try EfficientNet(
      configuration: try ModelRegistry.configuration(named: "lite0"), pyTorchCheckpoint: url)
    XCTAssertEqual(model.configuration.classCount, 1000)
    XCTAssertEqual(model.tensors.count, 247)
    XCTAssertEqual(model.parameterCount, 4_652_008)  // sum of numel over timm's efficientnet_lite0 parameters
    let projection = try XCTUnwrap(model.tensors["blocks.6.0.conv_pwl.weight"])
    XCTAssertEqual(projection.shape, [320, 1152, 1, 1])
    XCTAssertEqual(
      Array(projection.scalars.prefix(4)), [0.0373827033, 0.029342927, -0.0282567888, -0.130341679])
    let classifier = try XCTUnwrap(model.tensors["classifier.weight"])
    XCTAssertEqual(
      Array(classifier.scalars.prefix(4)), [-0.0456104353, -0.0947087109, -0.0568414666, 0.0682388097])
    XCTAssertEqual(classifier[flat: 1280], -0.00497025624)  // [1, 0]: gathered from a transposed storage
    XCTAssertEqual(model.tensors["bn2.running_var"]?.scalars.prefix(2), [9.7229681, 10.5831537])
  }

  func testVariantMatchingPicksLite0BeforeItsTensorFlowTwin() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: try lite0URL())
    let matches = try CheckpointVariantMatching.matchingConfigurations(for: checkpoint)
    XCTAssertEqual(matches.map(\.name), ["efficientnet_lite0", "tf_efficientnet_lite0"])
    XCTAssertEqual(matches[0].activation, .relu6)
    XCTAssertEqual(matches[0].padding, .symmetric)
  }

  /// The logits `shared/images/make_photos.py` computed with timm's `efficientnet_lite0` holding these weights.
  func testLite0FromTheCheckpointReproducesTimmLogits() throws {
    let photoURL = try SharedData.require("images/lite0_photos.io.safetensors")
    let file = try SafeTensorsFile(contentsOf: photoURL)
    let model = try EfficientNet.load(
      configuration: try ModelRegistry.configuration(named: "lite0"), contentsOf: try lite0URL())
    let input = try Fixtures.tensor(file, "chelsea_png.input").nchwToNHWC()
    let expected = try Fixtures.tensor(file, "chelsea_png.logits")
    let logits = try XCTUnwrap(try InferenceEngine(model: model).evaluate(input).logits)
    assertClose(logits.reshaped([1000]), expected, tolerance: 2e-3 * maxMagnitude(expected), "chelsea logits")
    let best = logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] }
    XCTAssertEqual(best, 281)  // tabby
  }
}
