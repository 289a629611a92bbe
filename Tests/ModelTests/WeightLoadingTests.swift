import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

final class WeightLoadingTests: XCTestCase {
  private let tiny = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)

  private func tinyTensors() throws -> [String: Tensor] {
    let file = try Fixtures.file("tiny_b0.weights.safetensors")
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = try Fixtures.tensor(file, name) }
    return tensors
  }

  func testTimmNamesAndShapesMatchTheFixtureExactly() throws {
    let file = try Fixtures.file("tiny_b0.weights.safetensors")
    let specs = try tiny.resolve().parameterSpecs()
    XCTAssertEqual(Set(specs.map(\.name)), Set(file.names))
    for spec in specs {
      XCTAssertEqual(file[spec.name]?.shape, spec.shape, spec.name)
    }
  }

  func testMissingTensorIsAnErrorNamingItAndItsShape() throws {
    var tensors = try tinyTensors()
    tensors["blocks.1.0.conv_dw.weight"] = nil
    XCTAssertThrowsError(
      try EfficientNet(architecture: try tiny.resolve(), tensors: tensors, source: "w.safetensors")
    ) {
      XCTAssertEqual(
        "\($0)",
        "w.safetensors: missing tensor 'blocks.1.0.conv_dw.weight' (the model needs shape [48, 1, 3, 3])")
    }
  }

  func testUnexpectedTensorIsAnError() throws {
    var tensors = try tinyTensors()
    tensors["blocks.9.0.conv_pw.weight"] = Tensor(zeros: [4, 4, 1, 1])
    XCTAssertThrowsError(try EfficientNet(architecture: try tiny.resolve(), tensors: tensors, source: "w")) {
      XCTAssertEqual(
        "\($0)",
        "w: unexpected tensor 'blocks.9.0.conv_pw.weight' of shape [4, 4, 1, 1] (the model has no such parameter)"
      )
    }
  }

  func testShapeMismatchNamesBothShapes() throws {
    var tensors = try tinyTensors()
    tensors["classifier.weight"] = Tensor(zeros: [11, 320])
    XCTAssertThrowsError(try EfficientNet(architecture: try tiny.resolve(), tensors: tensors, source: "w")) {
      XCTAssertEqual(
        "\($0)", "w: tensor 'classifier.weight' has shape [11, 320] but the model needs [10, 320]")
    }
  }

  func testNonFiniteWeightsAreRejected() throws {
    var tensors = try tinyTensors()
    tensors["bn1.running_var"]![flat: 3] = .nan
    XCTAssertThrowsError(try EfficientNet(architecture: try tiny.resolve(), tensors: tensors, source: "w")) {
      XCTAssertTrue("\($0)".contains("'bn1.running_var'"))
    }
  }

  func testClassCountAndChannelsComeFromTheWeights() throws {
    let file = try Fixtures.file("tiny_b0.weights.safetensors")
    let adapted = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25).adapted(to: file)
    XCTAssertEqual(adapted.classCount, 10)
    XCTAssertEqual(adapted.inputChannels, 3)
    XCTAssertTrue(adapted.includeClassifier)
  }

  /// Writing a model to safetensors and reading it back gives the same tensors (F32 exactly, F16 to
  /// half precision) and the same logits.
  func testSafeTensorsRoundTripPreservesTheModel() throws {
    let architecture = try tiny.resolve()
    let model = EfficientNet(architecture: architecture, seed: 42)
    let folder = try makeTemporaryFolder("efficientnet")
    let input = Tensor(shape: [1, 32, 32, 3], values: (0..<(32 * 32 * 3)).map { Float($0 % 17) / 17 - 0.5 })
    let expected = try XCTUnwrap(try InferenceEngine(model: model).evaluate(input).logits)
    for dataType in [TensorDataType.float32, .float16] {
      let url = folder.appendingPathComponent("model-\(dataType.rawValue).safetensors")
      try model.safeTensors(as: dataType).write(to: url)
      let loaded = try EfficientNet(configuration: tiny, contentsOf: url)
      for spec in loaded.specs {
        let original = model.tensors[spec.name]!
        let reread = loaded.tensors[spec.name]!
        let tolerance: Float = dataType == .float32 ? 0 : maxMagnitude(original) * 1e-3
        assertClose(reread, original, tolerance: tolerance, "\(dataType) \(spec.name)")
      }
      let logits = try XCTUnwrap(try InferenceEngine(model: loaded).evaluate(input).logits)
      assertClose(logits, expected, tolerance: dataType == .float32 ? 0 : 5e-2, "\(dataType) logits")
    }
  }

  func testTruncatedWeightsFileIsAnErrorNamingTheFile() throws {
    let data = try Data(contentsOf: Fixtures.directory.appendingPathComponent("tiny_b0.weights.safetensors"))
    let url = temporaryLocation("truncated.safetensors")
    try data.prefix(data.count / 2).write(to: url)
    XCTAssertThrowsError(try EfficientNet(configuration: tiny, contentsOf: url)) { error in
      XCTAssertTrue("\(error)".contains(url.lastPathComponent), "\(error)")
    }
  }
}
