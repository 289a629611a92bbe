import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import WeightIO
import XCTest

/// One training step of the whole model against timm's (`Fixtures/tiny_b0_train.*`).
final class GradientParityTests: XCTestCase {
  func testOneTrainingStepMatchesTimm() throws {
    let weights = try SafeTensorsFile.fixture("TrainingTests", "tiny_b0_train.weights.safetensors")
    let io = try SafeTensorsFile.fixture("TrainingTests", "tiny_b0_train.io.safetensors")
    let configuration = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
    let model = try EfficientNet(architecture: try configuration.resolve(), file: weights)
    let graph = TrainingGraph(model: model)
    graph.regularization = false
    graph.labelSmoothing = 0.1
    graph.batchNormMomentum = 0.1
    let labels = try io.tensor(named: "labels").int64s().map { Int($0) }
    var generator = SeededGenerator(seed: 1)
    let result = try graph.step(
      images: try io.floatTensor(named: "input").nchwToNHWC(), labels: labels, generator: &generator)

    let expectedLoss = try io.floatTensor(named: "loss").scalars[0]
    XCTAssertEqual(Float(result.loss), expectedLoss, accuracy: 1e-5)
    let expectedLogits = try io.floatTensor(named: "logits").scalars
    XCTAssertEqual(zip(result.logits, expectedLogits).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-4)

    // Every parameter's gradient within 1e-4 of its tensor's largest gradient (+ 1e-6).
    var checked = 0
    for spec in model.specs where spec.role.isTrainable {
      let expected = try io.floatTensor(named: "grad." + spec.name).scalars
      let ours = graph.parameters.gradients[spec.name]!.array
      let scale = expected.map(abs).max()!
      let worst = zip(ours, expected).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(worst, 1e-4 * scale + 1e-6, "grad.\(spec.name) (max |grad| \(scale))")
      checked += 1
    }
    XCTAssertEqual(checked, model.specs.filter { $0.role.isTrainable }.count)

    // Updated running statistics.
    for spec in model.specs where !spec.role.isTrainable {
      let expected = try io.floatTensor(named: "after." + spec.name).scalars
      let ours = graph.parameters.values[spec.name]!.array
      let worst = zip(ours, expected).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(worst, 1e-5, "after.\(spec.name)")
    }

    // One SGD step (lr 0.1, momentum 0.9: the first step's buffer is the gradient itself).
    for spec in model.specs where spec.role.isTrainable {
      let before = model.tensors[spec.name]!.scalars
      let gradient = graph.parameters.gradients[spec.name]!.array
      let expected = try io.floatTensor(named: "sgd." + spec.name).scalars
      let stepped = zip(before, gradient).map { $0 - 0.1 * $1 }
      let scale = max(expected.map(abs).max()!, 1e-3)
      let worst = zip(stepped, expected).map { abs($0 - $1) }.max()!
      XCTAssertLessThanOrEqual(worst, 1e-5 * scale + 1e-6, "sgd.\(spec.name)")
    }
  }

  /// Steady state: a second step with the same batch shape reuses every saved-activation buffer
  /// (the workspace does not grow) and gives the same loss for the same weights and data.
  func testRepeatedStepsReuseTheirBuffers() throws {
    let configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 32, classCount: 10)
    let graph = TrainingGraph(model: EfficientNet(architecture: try configuration.resolve(), seed: 1))
    graph.regularization = false
    var generator = SeededGenerator(seed: 2)
    let images = Tensor(
      shape: [4, 32, 32, 3], values: (0..<(4 * 32 * 32 * 3)).map { _ in generator.nextNormal() })
    let first = try graph.step(images: images, labels: [1, 2, 3, 4], generator: &generator)
    let bytes = graph.activationBytes
    XCTAssertGreaterThan(bytes, 0)
    let second = try graph.step(images: images, labels: [1, 2, 3, 4], generator: &generator)
    XCTAssertEqual(graph.activationBytes, bytes)
    // Only the running statistics moved (no optimizer step), and the loss uses batch statistics.
    XCTAssertEqual(first.loss, second.loss, accuracy: 1e-6)
    XCTAssertThrowsError(
      try graph.step(images: Tensor(zeros: [1, 8, 8, 3]), labels: [0], generator: &generator)
    ) {
      XCTAssertTrue("\($0)".contains("at least 2 values per channel"), "\($0)")
    }
  }
}
