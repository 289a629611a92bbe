import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers

extension DetectorTrainingPass {
  /// A BiFPN node: resample each input, fuse, activate, separable convolution, batch norm.
  func nodeForward(_ node: TrainingNode, inputs: [FeatureMap]) -> NodeRecord {
    let resampled = zip(node.node.inputs, node.resamplings).map { resample(inputs[$0], $1) }
    let shape = resampled[0].output
    let count = shape.count(batch: batch)
    let (coefficients, divisor) = node.coefficients
    let fused = buffer(count)
    fused.buffer.update(repeating: 0)
    for (record, coefficient) in zip(resampled, coefficients) {
      Elementwise.addScaled(coefficient, record.output.values.readable, into: fused.buffer, pool: pool)
    }
    let activated = buffer(count)
    Elementwise.applyActivation(graph.activation, from: fused.readable, to: activated.buffer, pool: pool)
    let activatedMap = FeatureMap(
      values: activated, height: shape.height, width: shape.width, channels: shape.channels)
    let convolved = depthwise(node.depthwise, activatedMap)
    let projected = pointwise(node.pointwise, convolved)
    let normalized = normalize(
      node.normalization, projected.values, positions: batch * shape.height * shape.width,
      activation: .identity)
    return NodeRecord(
      resampled: resampled, coefficients: coefficients, divisor: divisor, fused: fused, activated: activated,
      depthwiseOutput: convolved.values, normalization: normalized,
      output: FeatureMap(
        values: normalized.output, height: shape.height, width: shape.width, channels: shape.channels))
  }

  /// One cell's forward: its records and the feature maps of every node (inputs first).
  func cellForward(_ cell: [TrainingNode], inputs: [FeatureMap]) -> (
    records: [NodeRecord], nodes: [FeatureMap]
  ) {
    var nodes = inputs
    var records: [NodeRecord] = []
    for node in cell {
      let record = nodeForward(node, inputs: nodes)
      records.append(record)
      nodes.append(record.output)
    }
    return (records, nodes)
  }

  /// One cell's backward from the gradients of its outputs (one per level) to its inputs'.
  func cellBackward(
    _ cell: [TrainingNode], _ records: [NodeRecord], nodes: [FeatureMap], outputGradients: [FloatBuffer]
  ) -> [FloatBuffer] {
    let graphOutputs = graph.layout.graph.outputs
    var gradients = [FloatBuffer?](repeating: nil, count: nodes.count)
    for (index, gradient) in zip(graphOutputs, outputGradients) { gradients[index] = gradient }
    let inputCount = nodes.count - cell.count
    for (offset, (node, record)) in zip(cell, records).enumerated().reversed() {
      guard let outputGradient = gradients[inputCount + offset] else { continue }
      let shape = record.output
      let projectedGradient = node.normalization.backward(
        record.normalization, outputGradient: outputGradient, pool: pool)
      let convolvedMap = FeatureMap(
        values: record.depthwiseOutput, height: shape.height, width: shape.width, channels: shape.channels)
      let convolvedGradient = pointwiseBackward(
        node.pointwise, input: convolvedMap, outputGradient: projectedGradient)
      let activatedMap = FeatureMap(
        values: record.activated, height: shape.height, width: shape.width, channels: shape.channels)
      let fusedGradient = depthwiseBackward(
        node.depthwise, input: activatedMap, outputGradient: convolvedGradient)
      let count = shape.count(batch: batch)
      ActivationBackward.inputGradient(
        graph.activation, preActivation: record.fused.read(count), outputGradient: fusedGradient.read(count),
        inputGradient: fusedGradient.write(count), accumulate: false, pool: pool)
      fusionWeightBackward(node, record, fusedGradient: fusedGradient)
      for (position, input) in node.node.inputs.enumerated() {
        let scaled = buffer(count)
        scaled.buffer.update(repeating: 0)
        Elementwise.addScaled(
          record.coefficients[position], fusedGradient.readable, into: scaled.buffer, pool: pool)
        resampleBackward(
          record.resampled[position], node.resamplings[position], outputGradient: scaled,
          into: &gradients[input])
      }
    }
    return (0..<inputCount).map { gradients[$0] ?? zeroBuffer(nodes[$0]) }
  }

  /// The fusion weights' gradients: with `rᵢ = relu(wᵢ)`, `S = Σ rⱼ + ε` and `cᵢ = rᵢ / S`,
  /// `∂L/∂cᵢ = ⟨g, xᵢ⟩` and `∂L/∂wᵢ = [wᵢ > 0] · (∂L/∂cᵢ − Σⱼ cⱼ ∂L/∂cⱼ) / S`.
  func fusionWeightBackward(_ node: TrainingNode, _ record: NodeRecord, fusedGradient: FloatBuffer) {
    guard let weights = node.fusionWeights else { return }
    let count = record.output.count(batch: batch)
    let g = fusedGradient.read(count)
    let coefficientGradients: [Double] = record.resampled.map { resampled in
      let x = resampled.output.values.read(count)
      var sum = 0.0
      for index in 0..<count { sum += Double(g[index]) * Double(x[index]) }
      return sum
    }
    let values = weights.values.array
    let total = Double(record.divisor)
    let weighted = zip(record.coefficients, coefficientGradients).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    for index in values.indices where values[index] > 0 {
      weights.gradients.pointer[index] += Float((coefficientGradients[index] - weighted) / total)
    }
  }

  func zeroBuffer(_ map: FeatureMap) -> FloatBuffer {
    let zeros = buffer(map.count(batch: batch))
    zeros.buffer.update(repeating: 0)
    return zeros
  }
}
