import EfficientNetTraining
import WeightIO
import XCTest

/// Saving and restoring optimizer and EMA state: resuming must continue bit for bit.
final class OptimizationStateTests: XCTestCase {
  /// Two parameters (one without decay) with deterministic values.
  private func makeParameters() -> [TrainableParameter] {
    [
      TrainableParameter(
        name: "blocks.0.conv.weight", shape: [4, 3, 3, 3], values: optimizationNoise(count: 108, seed: 1)),
      TrainableParameter(name: "blocks.0.bn.bias", shape: [4], values: optimizationNoise(count: 4, seed: 2)),
    ]
  }

  /// Deterministic gradients for step `step`.
  private func setGradients(_ parameters: [TrainableParameter], step: Int) {
    for (index, parameter) in parameters.enumerated() {
      parameter.gradient = optimizationNoise(
        count: parameter.count, seed: UInt64(100 * step + index), scale: 2)
    }
  }

  /// Copies of `parameters` with the same values.
  private func copy(_ parameters: [TrainableParameter]) -> [TrainableParameter] {
    parameters.map {
      TrainableParameter(name: $0.name, shape: $0.shape, values: $0.values, decays: $0.decays)
    }
  }

  /// Steps `optimizer` three times, saves its state through checkpoint tensors and metadata, restores it
  /// into `fresh`, and checks that three more steps agree bit for bit with continuing uninterrupted.
  private func checkRoundTrip(_ optimizer: any Optimizer, fresh: any Optimizer) throws {
    var original = optimizer
    let parameters = makeParameters()
    for step in 0..<3 {
      setGradients(parameters, step: step)
      original.step(parameters, learningRate: 0.05)
    }
    let saved = original.state
    let reread = try OptimizerState(
      tensors: saved.tensors(prefix: "optimizer."), metadata: saved.metadata(prefix: "optimizer."),
      prefix: "optimizer.")
    XCTAssertEqual(reread, saved, "\(optimizer.name) state survives flattening")

    let resumedParameters = copy(parameters)
    var resumed = fresh
    try resumed.restore(reread, parameters: resumedParameters)
    var rebuilt = try reread.makeOptimizer(parameters: resumedParameters)
    let rebuiltParameters = copy(parameters)
    XCTAssertEqual(resumed.stepCount, 3)
    for step in 3..<6 {
      setGradients(parameters, step: step)
      setGradients(resumedParameters, step: step)
      setGradients(rebuiltParameters, step: step)
      let rate = Float(0.05 - 0.01 * Double(step - 3))
      original.step(parameters, learningRate: rate)
      resumed.step(resumedParameters, learningRate: rate)
      rebuilt.step(rebuiltParameters, learningRate: rate)
    }
    for (index, parameter) in parameters.enumerated() {
      XCTAssertEqual(resumedParameters[index].values, parameter.values, "\(optimizer.name) \(parameter.name)")
      XCTAssertEqual(rebuiltParameters[index].values, parameter.values, "\(optimizer.name) rebuilt")
    }
    XCTAssertEqual(resumed.state, original.state, "\(optimizer.name) final state")
  }

  func testSGDStateRoundTripContinuesBitIdentically() throws {
    try checkRoundTrip(
      SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-3),
      fresh: SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-3))
  }

  func testRMSPropTFStateRoundTripContinuesBitIdentically() throws {
    try checkRoundTrip(RMSPropTF(weightDecay: 1e-5), fresh: RMSPropTF(weightDecay: 1e-5))
  }

  func testAdamWStateRoundTripContinuesBitIdentically() throws {
    try checkRoundTrip(AdamW(weightDecay: 0.05), fresh: AdamW(weightDecay: 0.05))
  }

  func testStateNamesTensorsByBufferAndParameter() {
    let parameters = makeParameters()
    setGradients(parameters, step: 0)
    var optimizer = RMSPropTF()
    optimizer.step(parameters, learningRate: 0.1)
    let state = optimizer.state
    XCTAssertEqual(
      Set(state.tensors(prefix: "opt/").keys),
      [
        "opt/square_average.blocks.0.conv.weight", "opt/square_average.blocks.0.bn.bias",
        "opt/momentum.blocks.0.conv.weight", "opt/momentum.blocks.0.bn.bias",
      ])
    let metadata = state.metadata(prefix: "opt/")
    XCTAssertEqual(metadata["opt/kind"], "RMSPropTF")
    XCTAssertEqual(metadata["opt/step"], "1")
    XCTAssertEqual(metadata["opt/hyperparameter.epsilon"], "0.001")
    XCTAssertEqual(metadata["opt/hyperparameter.decay"], "0.9")
    XCTAssertEqual(
      try OptimizerState(
        tensors: state.tensors(prefix: ""), tensorPrefix: "", metadata: metadata, metadataPrefix: "opt/"),
      state)
  }

  func testRestoreRejectsStateThatDoesNotFit() throws {
    let parameters = makeParameters()
    setGradients(parameters, step: 0)
    var sgd = SGD(momentum: 0.9)
    sgd.step(parameters, learningRate: 0.1)
    var rmsprop = RMSPropTF()
    XCTAssertThrowsError(try rmsprop.restore(sgd.state, parameters: parameters)) { error in
      XCTAssertEqual(error as? OptimizationError, .kindMismatch(expected: "RMSPropTF", found: "SGD"))
    }
    var fresh = SGD(momentum: 0.9)
    XCTAssertThrowsError(try fresh.restore(sgd.state, parameters: [parameters[0]])) { error in
      XCTAssertEqual(
        error as? OptimizationError, .unknownParameter(buffer: "momentum", parameter: "blocks.0.bn.bias"))
    }
    let resized = [
      parameters[0], TrainableParameter(name: "blocks.0.bn.bias", shape: [5], values: [0, 0, 0, 0, 0]),
    ]
    XCTAssertThrowsError(try fresh.restore(sgd.state, parameters: resized)) { error in
      XCTAssertEqual(
        error as? OptimizationError,
        .sizeMismatch(buffer: "momentum", parameter: "blocks.0.bn.bias", expected: 5, found: 4))
    }
    XCTAssertThrowsError(try OptimizerState(tensors: [:], metadata: ["optimizer.kind": "SGD"])) { error in
      XCTAssertEqual(error as? OptimizationError, .missingMetadata(key: "optimizer.step"))
      XCTAssertTrue("\(error)".contains("optimizer.step"))
    }
    XCTAssertThrowsError(
      try OptimizerState(tensors: [:], metadata: ["optimizer.kind": "SGD", "optimizer.step": "x"])
    ) { error in
      XCTAssertEqual(error as? OptimizationError, .invalidMetadata(key: "optimizer.step", value: "x"))
    }
    var adam = AdamW()
    adam.step(parameters, learningRate: 0.1)
    var withoutSteps = adam.state
    withoutSteps.parameterSteps = [:]
    var freshAdam = AdamW()
    XCTAssertThrowsError(try freshAdam.restore(withoutSteps, parameters: parameters))
  }

  func testMovingAverageStateRoundTripContinuesBitIdentically() throws {
    let parameters = makeParameters()
    let original = ExponentialMovingAverage(decay: 0.99, warmup: .tensorFlow, parameters: parameters)
    let initial = parameters.map(\.values)
    for step in 0..<3 {
      setGradients(parameters, step: step)
      original.update(parameters.map(\.gradient))
    }
    let saved = original.state
    let reread = try OptimizerState(
      tensors: saved.tensors(prefix: "ema."), metadata: saved.metadata(prefix: "ema."), prefix: "ema.")
    let resumed = ExponentialMovingAverage(
      decay: 0.99, warmup: .tensorFlow, names: parameters.map(\.name), values: initial)
    try resumed.restore(reread)
    XCTAssertEqual(resumed.updateCount, 3)
    for step in 3..<6 {
      setGradients(parameters, step: step)
      original.update(parameters.map(\.gradient))
      resumed.update(parameters.map(\.gradient))
    }
    XCTAssertEqual(resumed.shadow, original.shadow)
    let wrongSize = ExponentialMovingAverage(decay: 0.99, names: ["blocks.0.conv.weight"], values: [[0]])
    XCTAssertThrowsError(try wrongSize.restore(reread))
  }
}

/// Optimizer and EMA state through a real safetensors checkpoint.
final class OptimizationCheckpointTests: XCTestCase {
  func testStatesSurviveSafeTensorsCheckpoint() throws {
    let parameters = [
      TrainableParameter(
        name: "conv_stem.weight", shape: [2, 3, 3, 3], values: optimizationNoise(count: 54, seed: 5)),
      TrainableParameter(name: "bn1.bias", shape: [2], values: [0.5, -0.5]),
    ]
    let average = ExponentialMovingAverage(
      decay: 0.9999, warmup: .tensorFlow, parameters: parameters,
      buffers: [(name: "bn1.running_mean", values: [0.25, 0.75])])
    var optimizer = RMSPropTF()
    for step in 0..<2 {
      for parameter in parameters {
        parameter.gradient = optimizationNoise(count: parameter.count, seed: UInt64(7 + step))
      }
      optimizer.step(parameters, learningRate: 0.01)
      average.update(parameters: parameters, buffers: [[0.3, 0.7]])
    }
    let optimizerState = optimizer.state
    let averageState = average.state
    var writer = SafeTensorsWriter(
      metadata: optimizerState.metadata(prefix: "optimizer.").merging(averageState.metadata(prefix: "ema.")) {
        a, _ in a
      })
    let tensors = optimizerState.tensors(prefix: "optimizer.").merging(averageState.tensors(prefix: "ema.")) {
      a, _ in a
    }
    for (name, values) in tensors.sorted(by: { $0.key < $1.key }) {
      try writer.add(name: name, shape: [values.count], values: values)
    }
    let file = try SafeTensorsFile(data: writer.data(), source: "checkpoint.safetensors")
    let stored = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.floats()) })
    XCTAssertEqual(
      try OptimizerState(tensors: stored, metadata: file.metadata, prefix: "optimizer."), optimizerState)
    XCTAssertEqual(try OptimizerState(tensors: stored, metadata: file.metadata, prefix: "ema."), averageState)
  }
}
