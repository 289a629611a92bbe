import EfficientNetCore
import EfficientNetModels
import EfficientNetTraining
import XCTest

/// `TrainingGraph.profiling`: every kernel call of a step timed, the numbers unchanged.
final class StepProfileTests: XCTestCase {
  private func graph(profiling: Bool) throws -> TrainingGraph {
    let configuration = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
    let graph = TrainingGraph(model: EfficientNet(architecture: try configuration.resolve(), seed: 7))
    graph.profiling = profiling
    return graph
  }

  func testProfiledStepTimesEveryLayerAndChangesNothing() throws {
    var generator = SeededGenerator(seed: 11)
    let images = Tensor(
      shape: [2, 32, 32, 3], values: (0..<(2 * 32 * 32 * 3)).map { _ in generator.nextNormal() })
    let labels = [3, 8]
    let plain = try graph(profiling: false)
    let profiled = try graph(profiling: true)
    var first = SeededGenerator(seed: 5)
    var second = SeededGenerator(seed: 5)
    let started = DispatchTime.now().uptimeNanoseconds
    let expected = try plain.step(images: images, labels: labels, generator: &first)
    XCTAssertNil(plain.lastProfile, "an unprofiled step keeps no profile")
    let result = try profiled.step(images: images, labels: labels, generator: &second)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9

    // The same loss, logits and gradients to the bit.
    XCTAssertEqual(result.loss, expected.loss)
    XCTAssertEqual(result.logits, expected.logits)
    for (name, gradient) in plain.parameters.gradients {
      XCTAssertEqual(profiled.parameters.gradients[name]!.array, gradient.array, name)
    }

    let profile = try XCTUnwrap(profiled.lastProfile)
    let layers = Set(profile.entries.map(\.layer))
    // Stem, head and classifier, and every block's convolutions, forward and backward.
    for layer in ["conv_stem", "bn1", "conv_head", "bn2", "classifier"] {
      XCTAssertTrue(layers.contains(layer), layer)
    }
    for block in profiled.architecture.blocks {
      let name = "blocks.\(block.stage).\(block.indexInStage)."
      let calls = profile.entries.filter { $0.layer.hasPrefix(name) }
      let kinds = calls.map(\.kind)
      XCTAssertTrue(kinds.contains("1x1 conv forward") && kinds.contains("1x1 conv backward"), name)
      XCTAssertTrue(kinds.contains { $0.hasPrefix("depthwise") && $0.hasSuffix("forward") }, name)
      XCTAssertTrue(kinds.contains { $0.hasPrefix("depthwise") && $0.hasSuffix("backward") }, name)
      if block.squeezeChannels > 0 {
        XCTAssertTrue(kinds.contains("squeeze-excitation forward"), name)
        XCTAssertTrue(kinds.contains("squeeze-excitation backward"), name)
      }
    }
    // Forward calls come first, in order: the stem's first, the stem's backward last.
    XCTAssertEqual(profile.entries.first?.layer, "conv_stem")
    XCTAssertEqual(profile.entries.last?.layer, "conv_stem")
    XCTAssertEqual(profile.entries.last?.kind, "stem 3x3 backward")
    // Every call took time and fits inside the step; the convolutions count their multiply-adds.
    XCTAssertTrue(profile.entries.allSatisfy { $0.seconds >= 0 })
    XCTAssertLessThanOrEqual(profile.totalSeconds, elapsed)
    let headForward = try XCTUnwrap(
      profile.entries.first { $0.layer == "conv_head" && $0.kind == "1x1 conv forward" })
    let head = profiled.architecture
    let lastChannels = head.blocks.last!.outputChannels
    XCTAssertEqual(headForward.multiplyAccumulates, 2 * 1 * 1 * lastChannels * head.headChannels)
    let headBackward = try XCTUnwrap(
      profile.entries.first { $0.layer == "conv_head" && $0.kind == "1x1 conv backward" })
    XCTAssertEqual(headBackward.multiplyAccumulates, 2 * headForward.multiplyAccumulates)
  }
}
