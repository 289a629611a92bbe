import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels
import EfficientNetTestSupport
import WeightIO
import XCTest

/// Our forward pass against timm's on the fixtures of `shared/reference` (see its README).
final class ParityTests: XCTestCase {
  /// Evaluates `weights` on the fixture's input and compares logits (1e-4 absolute) and each
  /// feature map (1e-4 × its largest magnitude) with timm's.
  private func checkParity(configuration: Configuration, weights: SafeTensorsFile, io: SafeTensorsFile) throws
  {
    let model = try EfficientNet(
      architecture: try configuration.adapted(to: weights).resolve(), file: weights)
    let engine = InferenceEngine(model: model)
    let input = try Fixtures.tensor(io, "input").nchwToNHWC()
    var firstLogits: Tensor?
    // The default plan, every expansion fused with its depthwise convolution (but those of the
    // small-map kernel), and none fused.
    for threshold in [engine.fusionMinimumBytes, 0, Int.max] {
      engine.fusionMinimumBytes = threshold
      let output = try engine.evaluate(input, collectFeatures: true)
      let logits = try XCTUnwrap(output.logits)
      assertClose(
        logits, try Fixtures.tensor(io, "logits"), tolerance: 1e-4, "logits, fusion from \(threshold) B")
      XCTAssertEqual(output.features.count, 5)
      for (index, feature) in output.features.enumerated() {
        let expected = try Fixtures.tensor(io, "features.\(index)")
        assertClose(
          feature.nhwcToNCHW(), expected, tolerance: 1e-4 * maxMagnitude(expected), "features.\(index)")
      }
      // Fusion changes where the expanded rows live, not the arithmetic (up to the last bit).
      if let firstLogits { assertClose(logits, firstLogits, tolerance: 1e-5, "fusion from \(threshold) B") }
      firstLogits = logits
    }
  }

  func testTinyB0MatchesTimmLogitsAndFeatures() throws {
    let configuration = Configuration(
      name: "tiny_b0", widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
    try checkParity(
      configuration: configuration, weights: try Fixtures.file("tiny_b0.weights.safetensors"),
      io: try Fixtures.file("tiny_b0.io.safetensors"))
  }

  func testFullB0MatchesTimmLogitsAndFeatures() throws {
    let weights = try Fixtures.shared("b0.weights.safetensors")
    try checkParity(
      configuration: try ModelRegistry.configuration(named: "efficientnet_b0"), weights: weights,
      io: try Fixtures.shared("b0.io.safetensors"))
  }

  /// A batch gives each image the result it gets alone, on one thread or two.
  func testBatchAndThreadCountDoNotChangeResults() throws {
    let weights = try Fixtures.file("tiny_b0.weights.safetensors")
    let configuration = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
    let model = try EfficientNet(architecture: try configuration.resolve(), file: weights)
    let input = try Fixtures.tensor(try Fixtures.file("tiny_b0.io.safetensors"), "input").nchwToNHWC()
    let batched = try XCTUnwrap(try InferenceEngine(model: model).evaluate(input).logits)
    let single = InferenceEngine(model: model, pool: ComputePool(threadCount: 1))
    for image in 0..<2 {
      let count = 64 * 64 * 3
      let one = Tensor(
        shape: [1, 64, 64, 3], values: Array(input.scalars[image * count..<(image + 1) * count]))
      let logits = try XCTUnwrap(try single.evaluate(one).logits)
      let expected = Tensor(shape: [1, 10], values: Array(batched.scalars[image * 10..<(image + 1) * 10]))
      assertClose(logits, expected, tolerance: 1e-5, "image \(image)")
    }
  }

  /// Odd, tiny and non-square inputs run and agree between the two batch layouts.
  func testAwkwardInputSizesEvaluate() throws {
    let model = EfficientNet(
      architecture: try Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 3).resolve(),
      seed: 7)
    let engine = InferenceEngine(model: model)
    for (height, width) in [(1, 1), (33, 17), (31, 64)] {
      var generator = SeededGenerator(seed: UInt64(height * 100 + width))
      let values = (0..<(2 * height * width * 3)).map { _ in generator.nextNormal() }
      let output = try engine.evaluate(
        Tensor(shape: [2, height, width, 3], values: values), collectFeatures: true)
      let logits = try XCTUnwrap(output.logits)
      XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
      // Symmetric padding halves with rounding up at each stride-2 layer: strides 2, 4, 8, 16, 32.
      var expectedHeights: [Int] = []
      var size = height
      for _ in 0..<5 {
        size = (size + 1) / 2
        expectedHeights.append(size)
      }
      XCTAssertEqual(output.features.map { $0.shape[1] }, expectedHeights)
      // Image 1 alone must equal image 1 of the batch.
      let half = height * width * 3
      let alone = try XCTUnwrap(
        try engine.evaluate(Tensor(shape: [1, height, width, 3], values: Array(values[half...]))).logits)
      assertClose(
        alone, Tensor(shape: [1, 3], values: Array(logits.scalars[3...])), tolerance: 1e-5,
        "\(height)x\(width)")
    }
  }

  func testWrongInputShapeIsAnErrorNamingTheShape() throws {
    let model = EfficientNet(
      architecture: try Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25).resolve(), seed: 1)
    let engine = InferenceEngine(model: model)
    XCTAssertThrowsError(try engine.evaluate(Tensor(zeros: [1, 8, 8, 4]))) { error in
      XCTAssertTrue("\(error)".contains("[1, 8, 8, 4]"), "\(error)")
    }
    XCTAssertThrowsError(try engine.evaluate(Tensor(zeros: [8, 8, 3])))
  }
}

/// The TensorFlow-padding and Lite conventions against timm (fixtures from Scripts/make_fixtures.py).
final class ConventionParityTests: XCTestCase {
  private func check(_ name: String, _ configuration: Configuration) throws {
    let weights = try Fixtures.file("\(name).weights.safetensors")
    let io = try Fixtures.file("\(name).io.safetensors")
    let model = try EfficientNet(
      architecture: try configuration.adapted(to: weights).resolve(), file: weights)
    let output = try InferenceEngine(model: model).evaluate(
      try Fixtures.tensor(io, "input").nchwToNHWC(), collectFeatures: true)
    assertClose(
      try XCTUnwrap(output.logits), try Fixtures.tensor(io, "logits"), tolerance: 1e-4, "\(name) logits")
    for (index, feature) in output.features.enumerated() {
      let expected = try Fixtures.tensor(io, "features.\(index)")
      assertClose(
        feature.nhwcToNCHW(), expected, tolerance: 1e-4 * maxMagnitude(expected), "\(name) features.\(index)")
    }
  }

  func testTensorFlowSamePaddingMatchesTimmOnAnOddInput() throws {
    var configuration = try ModelRegistry.configuration(named: "tf_efficientnet_b0")
    configuration.widthMultiplier = 0.25
    configuration.depthMultiplier = 0.25
    try check("tiny_tf_b0", configuration)
  }

  func testLiteMatchesTimm() throws {
    var configuration = try ModelRegistry.configuration(named: "efficientnet_lite0")
    configuration.widthMultiplier = 0.25
    configuration.depthMultiplier = 0.25
    try check("tiny_lite", configuration)
  }
}
