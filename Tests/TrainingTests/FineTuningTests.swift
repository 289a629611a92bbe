import EfficientNetCore
import EfficientNetModels
import EfficientNetTraining
import XCTest

/// Frozen backbone, frozen batch-norm statistics, layer-wise learning rates and the stem adaptation.
final class FineTuningTests: XCTestCase {
  private func tinyModel(seed: UInt64 = 3, inputChannels: Int = 3) throws -> EfficientNet {
    var configuration = Configuration(
      widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 32, classCount: 3)
    configuration.inputChannels = inputChannels
    return EfficientNet(architecture: try configuration.resolve(), seed: seed)
  }

  private func images(batch: Int = 4, side: Int = 16, seed: UInt64 = 7) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let values = (0..<(batch * side * side * 3)).map { _ in Float.random(in: -1...1, using: &generator) }
    return Tensor(shape: [batch, side, side, 3], values: values)
  }

  private let labels = [0, 2, 1, 2]

  private func snapshot(_ graph: TrainingGraph) -> [String: [Float]] {
    graph.parameters.values.mapValues(\.array)
  }

  func testFrozenBackboneStepWritesOnlyClassifierGradientsAndKeepsRunningStatistics() throws {
    let graph = TrainingGraph(model: try tinyModel())
    graph.trainsBackbone = false
    let before = snapshot(graph)
    var generator = SeededGenerator(seed: 1)
    _ = try graph.step(images: images(), labels: labels, generator: &generator)
    XCTAssertEqual(snapshot(graph), before, "running statistics changed while frozen")
    for (name, gradient) in graph.parameters.gradients {
      let largest = gradient.array.map(abs).max() ?? 0
      if name.hasPrefix("classifier.") {
        XCTAssertGreaterThan(largest, 0, name)
      } else {
        XCTAssertEqual(largest, 0, name)
      }
    }
    // The classifier's gradient is the one a full pass with frozen statistics computes.
    let reference = TrainingGraph(model: try tinyModel())
    reference.freezesBatchNormStatistics = true
    var same = SeededGenerator(seed: 1)
    _ = try reference.step(images: images(), labels: labels, generator: &same)
    XCTAssertEqual(
      graph.parameters.gradients["classifier.weight"]!.array,
      reference.parameters.gradients["classifier.weight"]!.array)
  }

  func testFrozenBatchNormForwardIsTheInferenceModel() throws {
    let model = try tinyModel()
    let graph = TrainingGraph(model: model)
    graph.freezesBatchNormStatistics = true
    graph.regularization = false
    graph.labelSmoothing = 0
    let before = snapshot(graph)
    var generator = SeededGenerator(seed: 1)
    let result = try graph.step(images: images(), labels: labels, generator: &generator)
    let logits = try XCTUnwrap(try InferenceEngine(model: model).evaluate(images()).logits).scalars
    for (actual, expected) in zip(result.logits, logits) { XCTAssertEqual(actual, expected, accuracy: 1e-4) }
    var expectedLoss = 0.0
    for (row, label) in labels.enumerated() {
      let z = logits[(row * 3)..<(row * 3 + 3)].map(Double.init)
      expectedLoss += log(z.map(exp).reduce(0, +)) - z[label]
    }
    XCTAssertEqual(result.loss, expectedLoss / 4, accuracy: 1e-4)
    XCTAssertEqual(snapshot(graph), before, "frozen statistics were updated")
    XCTAssertGreaterThan(graph.parameters.gradients["bn1.weight"]!.array.map(abs).max() ?? 0, 0)
  }

  func testFrozenBatchNormGradientsMatchFiniteDifferences() throws {
    let graph = TrainingGraph(model: try tinyModel())
    graph.freezesBatchNormStatistics = true
    graph.regularization = false
    let input = images()
    func loss() throws -> Double {
      var generator = SeededGenerator(seed: 1)
      return try graph.step(images: input, labels: labels, generator: &generator).loss
    }
    graph.parameters.zeroGradients()
    _ = try loss()
    let checks = [
      ("bn1.weight", 1), ("bn1.bias", 2), ("conv_stem.weight", 5), ("blocks.1.0.bn2.weight", 0),
      ("blocks.0.0.conv_dw.weight", 4), ("conv_head.weight", 7),
    ]
    let analytic = checks.map { graph.parameters.gradients[$0.0]!.array[$0.1] }
    for ((name, index), gradient) in zip(checks, analytic) {
      let value = graph.parameters.values[name]!
      let original = value.pointer[index]
      let step: Float = 1e-2
      value.pointer[index] = original + step
      let plus = try loss()
      value.pointer[index] = original - step
      let minus = try loss()
      value.pointer[index] = original
      let numeric = (plus - minus) / Double(2 * step)
      XCTAssertEqual(Double(gradient), numeric, accuracy: 2e-3 + 0.03 * abs(numeric), name)
    }
  }

  func testLayerDecayScalesMatchTimm() throws {
    // timm 1.0.31: param_groups_layer_decay(efficientnet_lite0, layer_decay=0.5) gives lr_scale
    // conv_stem/bn1 0.5^17, blocks.0.0 0.5^16, blocks.1.0 0.5^15, blocks.1.1 0.5^14,
    // blocks.6.0 and conv_head/bn2 0.5, classifier 1.
    let specs = try ModelRegistry.configuration(named: "lite0").resolve().parameterSpecs()
      .filter { $0.role.isTrainable }
    let scales = LayerDecay.learningRateScales(specs: specs, layerDecay: 0.5, backboneScale: 1)
    let expected: [(String, Double)] = [
      ("conv_stem.weight", 7.629_394_531_25e-06), ("bn1.weight", 7.629_394_531_25e-06),
      ("blocks.0.0.conv_dw.weight", 1.525_878_906_25e-05), ("blocks.1.0.conv_pw.weight", 3.051_757_812_5e-05),
      ("blocks.1.1.bn1.bias", 6.103_515_625e-05), ("blocks.6.0.conv_pwl.weight", 0.5),
      ("conv_head.weight", 0.5), ("bn2.bias", 0.5), ("classifier.weight", 1), ("classifier.bias", 1),
    ]
    for (name, scale) in expected { XCTAssertEqual(scales[name], scale, name) }
    let flat = LayerDecay.learningRateScales(specs: specs, layerDecay: nil, backboneScale: 0.1)
    XCTAssertEqual(flat["blocks.3.1.conv_dw.weight"], 0.1)
    XCTAssertEqual(flat["classifier.bias"], 1)
  }

  func testLearningRateScaleActsAsAScaledRate() {
    for kind in ["sgd", "adamw", "rmsprop"] {
      func optimizer() -> any Optimizer {
        switch kind {
        case "sgd": return SGD(momentum: 0.9, weightDecay: 0.01)
        case "adamw": return AdamW(weightDecay: 0.01)
        default: return RMSPropTF(momentum: 0.9, weightDecay: 0.01)
        }
      }
      let values: [Float] = [0.5, -1, 2, 0.25]
      let scaled = TrainableParameter(name: "w", shape: [2, 2], values: values)
      scaled.learningRateScale = 0.25
      let plain = TrainableParameter(name: "w", shape: [2, 2], values: values)
      var first = optimizer()
      var second = optimizer()
      for step in 0..<3 {
        let gradient: [Float] = [0.1, -0.2, 0.3 * Float(step), 0.05]
        scaled.gradient = gradient
        plain.gradient = gradient
        first.step([scaled], learningRate: 0.1)
        second.step([plain], learningRate: 0.025)
      }
      XCTAssertEqual(scaled.values, plain.values, kind)
    }
  }

  func testStemAdaptationFollowsTimm() throws {
    // W[2, 3, 1, 2] = arange(12) · 0.5 − 2; numbers from timm 1.0.31's adapt_input_conv.
    let weight = Tensor(shape: [2, 3, 1, 2], values: (0..<12).map { Float($0) * 0.5 - 2 })
    let cases: [(Int, [Float])] = [
      (1, [-3.0, -1.5, 6.0, 7.5]),
      (2, [-3.0, -2.25, -1.5, -0.75, 1.5, 2.25, 3.0, 3.75]),
      (
        4,
        [
          -1.5, -1.125, -0.75, -0.375, 0.0, 0.375, -1.5, -1.125, 0.75, 1.125, 1.5, 1.875, 2.25, 2.625, 0.75,
          1.125,
        ]
      ),
      (
        5,
        [
          -1.2, -0.9, -0.6, -0.3, 0.0, 0.3, -1.2, -0.9, -0.6, -0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 0.6, 0.9,
          1.2, 1.5,
        ]
      ),
    ]
    for (channels, expected) in cases {
      let adapted = try InputConvolutionAdaptation.adapt(weight, toInputChannels: channels)
      XCTAssertEqual(adapted.shape, [2, channels, 1, 2])
      for (actual, wanted) in zip(adapted.scalars, expected) {
        XCTAssertEqual(actual, wanted, accuracy: 1e-6, "\(channels) channels")
      }
    }
    // By hand, 1 channel: output 0, tap 0 is W[0,0,0,0] + W[0,1,0,0] + W[0,2,0,0] = −2 − 1 + 0.
    XCTAssertEqual(try InputConvolutionAdaptation.adapt(weight, toInputChannels: 1).scalars[0], -3)
    XCTAssertEqual(try InputConvolutionAdaptation.adapt(weight, toInputChannels: 3), weight)
    let notRGB = Tensor(shape: [2, 2, 1, 1], values: [1, 2, 3, 4])
    XCTAssertThrowsError(try InputConvolutionAdaptation.adapt(notRGB, toInputChannels: 1))
  }

  func testTransferredWeightsGiveAGrayModelTheRGBResponse() throws {
    let pretrained = try tinyModel(seed: 5)
    let gray = try tinyModel(seed: 9, inputChannels: 1).transferringWeights(from: pretrained)
    XCTAssertEqual(gray.tensors["blocks.0.0.conv_dw.weight"], pretrained.tensors["blocks.0.0.conv_dw.weight"])
    XCTAssertEqual(gray.tensors["classifier.weight"], pretrained.tensors["classifier.weight"])
    // A gray image g gives what the RGB model gives (g, g, g).
    let single = images(batch: 1, side: 16).scalars.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
    let grayInput = Tensor(shape: [1, 16, 16, 1], values: single)
    let rgbInput = Tensor(shape: [1, 16, 16, 3], values: single.flatMap { [$0, $0, $0] })
    let a = try XCTUnwrap(try InferenceEngine(model: gray).evaluate(grayInput).logits).scalars
    let b = try XCTUnwrap(try InferenceEngine(model: pretrained).evaluate(rgbInput).logits).scalars
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-3) }
  }
}
