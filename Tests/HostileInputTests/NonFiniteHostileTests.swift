import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Finite weights whose activations overflow float32 (class 6 of the hardening issue): every command
/// that prints or writes scores stops with an error naming the weights file and the first layer whose
/// output overflowed, never `-nan%` with status 0.
final class NonFiniteHostileTests: XCTestCase {
  /// B0 with every convolution weight multiplied by 10^6: finite, loadable, and overflowing.
  private func overflowingWeights() throws -> URL {
    let architecture = try ModelRegistry.configuration(named: "efficientnet_b0").resolve()
    let model = EfficientNet(architecture: architecture, seed: 5)
    var tensors: [String: Tensor] = [:]
    for (name, tensor) in model.tensors {
      let scale: Float = name.hasSuffix("conv_stem.weight") || name.contains("conv_pw") ? 1e6 : 1
      tensors[name] = Tensor(shape: tensor.shape, values: tensor.scalars.map { $0 * scale })
    }
    let url = temporaryLocation("overflowing.safetensors")
    try EfficientNet(architecture: architecture, tensors: tensors).safeTensors(as: .float32).write(to: url)
    return url
  }

  func testOverflowingActivationsAreAnErrorNamingTheFileAndLayer() throws {
    let weights = try overflowingWeights().path
    let photo = HostileFixtures.photo
    let embedded = temporaryLocation("embedded.safetensors")
    let heatMap = temporaryLocation("heat.png")
    let cases: [[String]] = [
      ["classify", photo, "--model", "efficientnet_b0", "--weights", weights],
      ["classify", photo, "--model", "efficientnet_b0", "--weights", weights, "--json"],
      ["embed", photo, "--model", "efficientnet_b0", "--weights", weights, "--output", embedded.path],
      ["explain", photo, "--model", "efficientnet_b0", "--weights", weights, "--output", heatMap.path],
    ]
    for arguments in cases {
      let outcome = try assertToolRefuses(
        arguments, naming: [weights, "NaN or infinity", "first in the output of layer"], peakMemoryMiB: 800)
      XCTAssertFalse(outcome.output.lowercased().contains("nan"), outcome.output)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: embedded.path))
    XCTAssertFalse(FileManager.default.fileExists(atPath: heatMap.path))
  }

  /// The library names the layer: the stem here, whose weights are the first scaled.
  func testTheEngineNamesTheFirstLayerThatOverflowed() throws {
    let weights = try overflowingWeights()
    let model = try EfficientNet.load(
      configuration: try ModelRegistry.configuration(named: "efficientnet_b0"), contentsOf: weights)
    let engine = InferenceEngine(model: model)
    let input = Tensor(shape: [1, 64, 64, 3], values: (0..<(64 * 64 * 3)).map { Float($0 % 17) / 8 - 1 })
    XCTAssertThrowsError(try engine.evaluate(input)) { error in
      guard case ModelError.nonFiniteOutput(let layer) = error else { return XCTFail("\(error)") }
      XCTAssertTrue(layer.hasPrefix("blocks.") || layer == "conv_stem" || layer == "conv_head", layer)
    }
  }
}
