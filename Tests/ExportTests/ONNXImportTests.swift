import EfficientNetCore
import EfficientNetExport
import EfficientNetModels
import EfficientNetTestSupport
import WeightIO
import XCTest

/// Reading ONNX graphs back: timm's own exports (torch.onnx, batch norms fused, TF padding as Pad
/// arithmetic; `Fixtures/make_timm_onnx.py`) give timm's logits, ours round-trip, and a graph that does
/// not fit the model is an error naming its first node that could not be mapped.
final class ONNXImportTests: XCTestCase {
  static func timmFixture(_ name: String) throws -> (onnx: Data, input: Tensor, logits: Tensor) {
    let io = try SafeTensorsFile(contentsOf: RepositoryPaths.fixtures("ModelTests", "\(name).io.safetensors"))
    func tensor(_ key: String) throws -> Tensor {
      let stored = try XCTUnwrap(io[key], key)
      return Tensor(shape: stored.shape, values: stored.floats())
    }
    return (
      try Data(contentsOf: RepositoryPaths.fixtures("ExportTests", "\(name).timm.onnx")), try tensor("input"),
      try tensor("logits")
    )
  }

  func testTimmExportsGiveTimmLogits() throws {
    var tensorFlow = try ModelRegistry.configuration(named: "tf_efficientnet_b0")
    tensorFlow.widthMultiplier = 0.25
    tensorFlow.depthMultiplier = 0.25
    tensorFlow.classCount = 10
    let cases = [
      (
        "tiny_b0",
        Configuration(name: "tiny_b0", widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
      ),
      ("tiny_tf_b0", tensorFlow),
    ]
    for (name, configuration) in cases {
      let fixture = try Self.timmFixture(name)
      let network = try ONNXImport.network(from: fixture.onnx, configuration: configuration, source: name)
      let logits = try XCTUnwrap(
        try InferenceEngine(model: network).evaluate(fixture.input.nchwToNHWC()).logits)
      assertClose(logits, fixture.logits, tolerance: 1e-4, name)
    }
  }

  /// Our own export, folded or not, reads back to a model that computes what the original computes.
  func testOurExportsRoundTrip() throws {
    let lite0 = try ImageClassifier.pretrainedLite0Model()
    let input = Tensor(
      shape: [2, 224, 224, 3],
      values: DeterministicWeights.uniform(count: 2 * 224 * 224 * 3, name: "x").map(Float.init))
    let expected = try XCTUnwrap(try InferenceEngine(model: lite0).evaluate(input).logits)
    for folds in [true, false] {
      var options = ONNXExportOptions()
      options.foldsBatchNorm = folds
      let data = try ONNXExport.classifier(lite0, classNames: nil, options: options)
      XCTAssertEqual(ONNXImport.metadata(of: data)["model"], "efficientnet_lite0")
      let back = try ONNXImport.network(from: data, configuration: lite0.configuration, source: "lite0.onnx")
      let logits = try XCTUnwrap(try InferenceEngine(model: back).evaluate(input).logits)
      assertClose(logits, expected, tolerance: 1e-4, "folded \(folds)")
    }
  }

  /// A compound-scaled model (no named variant) carries its architecture in the metadata and reads
  /// back from it alone.
  func testACustomModelReadsBackFromItsMetadata() throws {
    let scaled = try ModelRegistry.compoundScaled(
      phi: 0.5, scaling: .paper, base: ModelRegistry.configuration(named: "efficientnet_b0"))
    let network = try ClassifierExportTests.deterministicModel(scaled)
    let data = try ONNXExport.classifier(network, classNames: nil)
    let stored = try XCTUnwrap(ONNXImport.configuration(fromMetadata: ONNXImport.metadata(of: data)))
    XCTAssertEqual(stored, network.configuration)
    let back = try ONNXImport.network(from: data, configuration: stored, source: "phi.onnx")
    let input = Tensor(
      shape: [1, 64, 64, 3],
      values: DeterministicWeights.uniform(count: 64 * 64 * 3, name: "p").map(Float.init))
    assertClose(
      try XCTUnwrap(try InferenceEngine(model: back).evaluate(input).logits),
      try XCTUnwrap(try InferenceEngine(model: network).evaluate(input).logits), tolerance: 1e-4, "phi 0.5")
  }

  func testAGraphThatDoesNotFitNamesItsFirstNode() throws {
    let fixture = try Self.timmFixture("tiny_b0")
    XCTAssertThrowsError(
      try ONNXImport.network(
        from: fixture.onnx, configuration: try ModelRegistry.configuration(named: "efficientnet_b0"),
        source: "tiny.onnx")
    ) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("tiny.onnx: node /conv_stem/Conv does not map"), text)
      XCTAssertTrue(text.contains("conv_stem is a Conv with weight [32, 3, 3, 3]"), text)
    }
    XCTAssertThrowsError(
      try ONNXImport.network(
        from: fixture.onnx.prefix(1000),
        configuration: try ModelRegistry.configuration(named: "efficientnet_b0"),
        source: "cut.onnx")
    ) { XCTAssertTrue("\($0)".hasPrefix("cut.onnx: "), "\($0)") }
  }
}
