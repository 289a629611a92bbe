import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers

/// What a head's backward needs at one level.
struct HeadLevelRecord {
  /// Each repeat's input, depthwise output and batch norm.
  let inputs: [FeatureMap]
  let depthwiseOutputs: [FeatureMap]
  let normalizations: [BatchNormRecord]
  let predictionInput: FeatureMap
  let predictionDepthwiseOutput: FeatureMap
  let output: FeatureMap
}

extension DetectorTrainingPass {
  /// A head at one level: the shared convolutions with that level's batch norms and activation,
  /// then the prediction convolution.
  func headForward(_ head: TrainingHead, level offset: Int, input: FeatureMap) -> HeadLevelRecord {
    var x = input
    var inputs: [FeatureMap] = []
    var depthwiseOutputs: [FeatureMap] = []
    var normalizations: [BatchNormRecord] = []
    for (index, (depthwiseLayer, pointwiseLayer)) in zip(head.depthwise, head.pointwise).enumerated() {
      inputs.append(x)
      let convolved = depthwise(depthwiseLayer, x)
      depthwiseOutputs.append(convolved)
      let projected = pointwise(pointwiseLayer, convolved)
      let normalized = normalize(
        head.normalizations[index][offset], projected.values, positions: batch * x.height * x.width,
        activation: graph.activation)
      normalizations.append(normalized)
      x = FeatureMap(
        values: normalized.output, height: x.height, width: x.width, channels: projected.channels)
    }
    let convolved = depthwise(head.predictionDepthwise, x)
    let output = pointwise(head.prediction, convolved)
    return HeadLevelRecord(
      inputs: inputs, depthwiseOutputs: depthwiseOutputs, normalizations: normalizations, predictionInput: x,
      predictionDepthwiseOutput: convolved, output: output)
  }

  /// A head's backward at one level, from its output's gradient to its input's (the shared
  /// weights' gradients add up over the levels).
  func headBackward(
    _ head: TrainingHead, level offset: Int, _ record: HeadLevelRecord, outputGradient: FloatBuffer
  )
    -> FloatBuffer
  {
    let convolvedGradient = pointwiseBackward(
      head.prediction, input: record.predictionDepthwiseOutput, outputGradient: outputGradient)
    var gradient = depthwiseBackward(
      head.predictionDepthwise, input: record.predictionInput, outputGradient: convolvedGradient)
    for index in head.depthwise.indices.reversed() {
      let projectedGradient = head.normalizations[index][offset].backward(
        record.normalizations[index], outputGradient: gradient, pool: pool)
      let depthwiseGradient = pointwiseBackward(
        head.pointwise[index], input: record.depthwiseOutputs[index], outputGradient: projectedGradient)
      gradient = depthwiseBackward(
        head.depthwise[index], input: record.inputs[index], outputGradient: depthwiseGradient)
    }
    return gradient
  }
}
