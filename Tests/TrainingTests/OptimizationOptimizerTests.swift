import EfficientNetTraining
import XCTest

/// Optimizers, gradient clipping and the weight EMA against PyTorch/timm references and formulas.
final class OptimizationOptimizerTests: XCTestCase {
  /// Runs `optimizer` over a fixture trajectory and checks the parameters after every step.
  private func checkTrajectory<O: Optimizer>(
    _ name: String, _ optimizer: O, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    var optimizer = optimizer
    let trajectory = try OptimizationFixtures.trajectory(name)
    let parameters = makeOptimizationParameters(trajectory.initial)
    XCTAssertEqual(parameters.map(\.decays), [true, false], file: file, line: line)
    for step in trajectory.gradients.indices {
      for parameter in parameters {
        parameter.gradient = (trajectory.gradients[step][parameter.name] ?? []).optimizationFloats
      }
      optimizer.step(parameters, learningRate: Float(trajectory.learningRates[step]))
      for parameter in parameters {
        assertOptimizationClose(
          parameter.values, trajectory.expected[step][parameter.name] ?? [],
          "\(name) step \(step + 1) \(parameter.name)", file: file, line: line)
      }
    }
    XCTAssertEqual(optimizer.stepCount, trajectory.gradients.count, file: file, line: line)
  }

  func testPlainSGDMatchesPyTorch() throws {
    try checkTrajectory("sgd", SGD())
  }

  func testSGDWithMomentumAndWeightDecayMatchesPyTorch() throws {
    try checkTrajectory("sgd_momentum_decay", SGD(momentum: 0.9, weightDecay: 0.01))
  }

  func testNesterovSGDWithWeightDecayMatchesPyTorch() throws {
    try checkTrajectory("sgd_nesterov_decay", SGD(momentum: 0.9, nesterov: true, weightDecay: 0.01))
  }

  func testSGDDampeningSkipsFirstStepLikePyTorch() throws {
    try checkTrajectory("sgd_momentum_dampening", SGD(momentum: 0.8, dampening: 0.25))
  }

  func testRMSPropTFMatchesTimmRMSpropTF() throws {
    try checkTrajectory(
      "rmsprop_tf_decay", RMSPropTF(decay: 0.9, momentum: 0.9, epsilon: 1e-3, weightDecay: 0.01))
  }

  func testRMSPropTFWithoutMomentumMatchesTimmRMSpropTF() throws {
    try checkTrajectory(
      "rmsprop_tf_no_momentum", RMSPropTF(decay: 0.9, momentum: 0, epsilon: 1e-3, weightDecay: 0))
  }

  func testAdamWMatchesPyTorch() throws {
    try checkTrajectory("adamw_decay", AdamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.05))
  }

  func testRMSPropTFFirstStepFollowsTensorFlowFormula() {
    // s starts at 1, ε inside the root, learning rate inside the momentum buffer.
    let parameter = TrainableParameter(name: "w", shape: [1, 2], values: [0.5, -2], decays: false)
    parameter.gradient = [3, 0.25]
    var optimizer = RMSPropTF(weightDecay: 0)
    optimizer.step([parameter], learningRate: 0.1)
    for (index, (start, g)) in zip([0.5, -2.0], [3.0, 0.25]).enumerated() {
      let square = 1 + 0.1 * (g * g - 1)
      let expected = start - 0.1 * g / (square + 1e-3).squareRoot()
      XCTAssertEqual(Double(parameter.values[index]), expected, accuracy: 1e-6)
    }
  }

  func testUpdatesOfLargeTensorsAreBitIdenticalToSmallPieces() {
    // Tensors above the parallel threshold are split across threads; the result must not change.
    let count = 200_003
    let values = optimizationNoise(count: count, seed: 1)
    let gradients = (0..<3).map { optimizationNoise(count: count, seed: 10 + UInt64($0)) }
    let pieces = stride(from: 0, to: count, by: 1000).map { $0..<min(count, $0 + 1000) }
    let optimizers: [any Optimizer] = [
      SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4), RMSPropTF(), AdamW(weightDecay: 0.1),
    ]
    for prototype in optimizers {
      var whole = prototype
      var split = prototype
      let large = TrainableParameter(name: "large", shape: [count, 1], values: values)
      let small = pieces.enumerated().map { index, range in
        TrainableParameter(name: "piece\(index)", shape: [range.count, 1], values: Array(values[range]))
      }
      for gradient in gradients {
        large.gradient = gradient
        for (piece, range) in zip(small, pieces) { piece.gradient = Array(gradient[range]) }
        whole.step([large], learningRate: 0.01)
        split.step(small, learningRate: 0.01)
      }
      XCTAssertEqual(large.values, small.flatMap(\.values), "\(prototype.name)")
    }
  }

  func testDefaultWeightDecayRuleExcludesBiasesAndNormalization() {
    XCTAssertTrue(TrainableParameter.decaysByDefault(name: "conv_stem.weight", shape: [32, 3, 3, 3]))
    XCTAssertTrue(TrainableParameter.decaysByDefault(name: "classifier.weight", shape: [1000, 1280]))
    XCTAssertFalse(TrainableParameter.decaysByDefault(name: "bn1.weight", shape: [32]))
    XCTAssertFalse(TrainableParameter.decaysByDefault(name: "classifier.bias", shape: [1000]))
    XCTAssertFalse(TrainableParameter.decaysByDefault(name: "blocks.0.0.se.conv_reduce.bias", shape: [8, 1]))
  }

  func testGradientClippingMatchesPyTorch() throws {
    for reference in try OptimizationFixtures.shared.get().clipping {
      let parameters = makeOptimizationParameters(reference.gradients.mapValues { $0.map { _ in 0 } })
      for parameter in parameters {
        parameter.gradient = (reference.gradients[parameter.name] ?? []).optimizationFloats
      }
      let norm = clipGradientNorm(parameters, maxNorm: Float(reference.maxNorm))
      XCTAssertEqual(Double(norm), reference.totalNorm, accuracy: 1e-6 * reference.totalNorm)
      for parameter in parameters {
        assertOptimizationClose(
          parameter.gradient, reference.clipped[parameter.name] ?? [],
          "clip \(reference.maxNorm) \(parameter.name)")
      }
    }
  }

  func testGradientNormOfLargeTensorsMatchesNaiveSum() {
    let gradients = [
      optimizationNoise(count: 300_001, seed: 3), optimizationNoise(count: 77, seed: 4, scale: 9),
    ]
    let parameters = gradients.enumerated().map { index, gradient in
      let parameter = TrainableParameter(name: "p\(index)", shape: [gradient.count], values: gradient)
      parameter.gradient = gradient
      return parameter
    }
    let naive = gradients.joined().reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    XCTAssertEqual(Double(gradientNorm(parameters)), naive, accuracy: naive * 1e-7)
    let norm = clipGradientNorm(parameters, maxNorm: 2)
    XCTAssertEqual(Double(norm), naive, accuracy: naive * 1e-7)
    XCTAssertEqual(Double(gradientNorm(parameters)), 2, accuracy: 2e-6)
  }

  func testGradientClippingLeavesNonFiniteGradientsAlone() {
    let parameter = TrainableParameter(name: "w", shape: [3], values: [0, 0, 0])
    parameter.gradient = [1, .infinity, 2]
    XCTAssertEqual(clipGradientNorm([parameter], maxNorm: 1), .infinity)
    XCTAssertEqual(parameter.gradient, [1, .infinity, 2])
    parameter.gradient = [3, 4, 0]
    XCTAssertEqual(clipGradientNorm([parameter], maxNorm: 10), 5)
    XCTAssertEqual(parameter.gradient, [3, 4, 0], "a norm below the limit leaves gradients unchanged")
  }

  func testMovingAverageFollowsFormulaOverParametersAndBuffers() {
    let parameter = TrainableParameter(name: "w", shape: [2, 1], values: [1, -1])
    let average = ExponentialMovingAverage(
      decay: 0.9, parameters: [parameter], buffers: [(name: "bn.running_mean", values: [4])])
    XCTAssertEqual(average.names, ["w", "bn.running_mean"])
    var expected: [[Double]] = [[1, -1], [4]]
    for step in 1...4 {
      parameter.values = [Float(step), Float(-2 * step)]
      let runningMean: [Float] = [4 + Float(step)]
      average.update(parameters: [parameter], buffers: [runningMean])
      let current = [parameter.values.map(Double.init), runningMean.map(Double.init)]
      expected = zip(expected, current).map { zip($0, $1).map { 0.9 * $0 + 0.1 * $1 } }
      for (index, name) in average.names.enumerated() {
        assertOptimizationClose(
          average.shadow(named: name) ?? [], expected[index], "EMA \(name) step \(step)")
      }
    }
    XCTAssertEqual(average.updateCount, 4)
    XCTAssertEqual(average.shadowByName["w"], average.shadow[0])
  }

  func testMovingAverageTensorFlowWarmupGrowsDecay() throws {
    let average = ExponentialMovingAverage(decay: 0.9999, warmup: .tensorFlow, names: ["x"], values: [[0]])
    XCTAssertEqual(average.nextDecay, 2.0 / 11.0, accuracy: 1e-15)
    average.update([[11]])  // decay 2/11: 0·2/11 + 11·9/11 = 9
    XCTAssertEqual(average.shadow[0][0], 9, accuracy: 1e-5)
    XCTAssertEqual(average.nextDecay, 3.0 / 12.0, accuracy: 1e-15)
    var state = average.state
    state.stepCount = 80_000  // (1 + n) / (10 + n) reaches 0.9999 near update n = 90 000
    try average.restore(state)
    XCTAssertEqual(average.nextDecay, 80_002.0 / 80_011.0, accuracy: 1e-15)
    state.stepCount = 100_000
    try average.restore(state)
    XCTAssertEqual(average.nextDecay, 0.9999)
    let plain = ExponentialMovingAverage(decay: 0.9999, names: ["x"], values: [[0]])
    XCTAssertEqual(plain.nextDecay, 0.9999)
  }

  func testParameterOverExternalMemoryIsUpdatedInPlace() {
    final class Storage {
      let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: 3)
      let gradient = UnsafeMutableBufferPointer<Float>.allocate(capacity: 3)
      deinit {
        values.deallocate()
        gradient.deallocate()
      }
    }
    let storage = Storage()
    _ = storage.values.initialize(fromContentsOf: [1, 2, 3])
    _ = storage.gradient.initialize(fromContentsOf: [0.5, -1, 2])
    let parameter = TrainableParameter(
      name: "fc.weight", shape: [1, 3], valueBuffer: storage.values, gradientBuffer: storage.gradient,
      owner: storage)
    var optimizer = SGD()
    optimizer.step([parameter], learningRate: 0.5)
    XCTAssertEqual(Array(storage.values), [0.75, 2.5, 2])
    let average = ExponentialMovingAverage(decay: 0.5, names: ["fc.weight"], values: [[0, 0, 0]])
    average.update(sources: [UnsafeBufferPointer(storage.values)])
    XCTAssertEqual(average.shadow[0], [0.375, 1.25, 1])
    clipGradientNorm([parameter], maxNorm: 1)
    let norm = (0.25 + 1 + 4 as Double).squareRoot()
    assertOptimizationClose(Array(storage.gradient), [0.5, -1, 2].map { $0 / norm }, "clipped in place")
  }
}
