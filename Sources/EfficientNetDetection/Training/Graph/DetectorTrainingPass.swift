import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// What a resampling's backward needs.
struct ResamplingRecord {
  let input: FeatureMap
  let normalization: BatchNormRecord?
  /// After the channel-matching convolution (the input itself without one).
  let matched: FeatureMap
  let output: FeatureMap
  let poolGeometry: ConvolutionGeometry?
}

/// What a BiFPN node's backward needs.
struct NodeRecord {
  let resampled: [ResamplingRecord]
  let coefficients: [Float]
  /// The fusion's divisor `Σ relu(wⱼ) + ε` (1 for sum fusion).
  let divisor: Float
  let fused: FloatBuffer
  let activated: FloatBuffer
  let depthwiseOutput: FloatBuffer
  let normalization: BatchNormRecord
  let output: FeatureMap
}

/// One forward and backward of the feature network and heads over a batch, on buffers from the
/// graph's workspace; the layer operations are `EfficientNetLayers`'s.
struct DetectorTrainingPass {
  let graph: DetectorTrainingGraph
  let batch: Int
  let sizes: LevelSizes
  var workspace: Workspace { graph.workspace }
  var pool: ComputePool { graph.pool }

  func buffer(_ count: Int) -> FloatBuffer { workspace.next(count) }

  func normalize(_ layer: BatchNormLayer, _ input: FloatBuffer, positions: Int, activation: Activation)
    -> BatchNormRecord
  {
    layer.forward(
      input, positions: positions, activation: activation, momentum: graph.batchNormMomentum,
      usesRunningStatistics: graph.freezesBatchNormStatistics, workspace: workspace, pool: pool)
  }

  /// `x` through `layer`'s 1×1 convolution into a new buffer.
  func pointwise(_ layer: PointwiseLayer, _ x: FeatureMap) -> FeatureMap {
    let output = buffer(batch * x.height * x.width * layer.outputCount)
    layer.forward(
      input: x.values.pointer, rows: batch * x.height * x.width, output: output.pointer, pool: pool)
    return FeatureMap(values: output, height: x.height, width: x.width, channels: layer.outputCount)
  }

  /// `x` through a 3×3 depthwise convolution (stride 1, one pixel of zeros around).
  func depthwise(_ layer: DepthwiseLayer, _ x: FeatureMap) -> FeatureMap {
    let output = buffer(x.count(batch: batch))
    layer.forward(
      input: x.values.readable, batch: batch, geometry: depthwiseGeometry(x), activation: .identity,
      output: output.buffer, pool: pool)
    return FeatureMap(values: output, height: x.height, width: x.width, channels: x.channels)
  }

  func depthwiseGeometry(_ x: FeatureMap) -> ConvolutionGeometry {
    .symmetric(
      inputHeight: x.height, inputWidth: x.width, kernelSize: DetectorLayer.depthwiseKernelSize, stride: 1)
  }

  /// The gradient of a depthwise convolution's input from its output's (weights' gradients added).
  func depthwiseBackward(_ layer: DepthwiseLayer, input: FeatureMap, outputGradient: FloatBuffer)
    -> FloatBuffer
  {
    let gradient = buffer(input.count(batch: batch))
    layer.backward(
      input: input.values.pointer, batch: batch, geometry: depthwiseGeometry(input),
      outputGradient: outputGradient.pointer, inputGradient: gradient.pointer, pool: pool)
    return gradient
  }

  /// The gradient of a 1×1 convolution's input from its output's (weights' gradients added).
  func pointwiseBackward(_ layer: PointwiseLayer, input: FeatureMap, outputGradient: FloatBuffer)
    -> FloatBuffer
  {
    let gradient = buffer(input.count(batch: batch))
    layer.backward(
      input: input.values.pointer, rows: batch * input.height * input.width,
      outputGradient: outputGradient.pointer,
      inputGradient: gradient.pointer, pool: pool)
    return gradient
  }

  // MARK: Resampling

  func resample(_ x: FeatureMap, _ layer: TrainingResampling) -> ResamplingRecord {
    var matched = x
    var record: BatchNormRecord?
    if let convolution = layer.convolution, let normalization = layer.normalization {
      let convolved = pointwise(convolution, x)
      let normalized = normalize(
        normalization, convolved.values, positions: batch * x.height * x.width, activation: .identity)
      record = normalized
      matched = FeatureMap(
        values: normalized.output, height: x.height, width: x.width, channels: convolved.channels)
    }
    let steps = layer.targetLevel - layer.sourceLevel
    precondition(abs(steps) <= 1, "BiFPN edges join neighbouring levels")
    guard steps != 0 else {
      return ResamplingRecord(
        input: x, normalization: record, matched: matched, output: matched, poolGeometry: nil)
    }
    let target = sizes[layer.targetLevel]!
    let output = buffer(batch * target.height * target.width * matched.channels)
    var poolGeometry: ConvolutionGeometry?
    if steps > 0 {
      let geometry = graph.layout.configuration.padding.geometry(
        inputHeight: matched.height, inputWidth: matched.width, kernel: 3, stride: 2)
      poolGeometry = geometry
      FeatureResampling.maxPool(
        input: matched.values.readable, batch: batch, channels: matched.channels, geometry: geometry,
        output: output.buffer, pool: pool)
    } else {
      FeatureResampling.nearestUpsample(
        input: matched.values.readable, batch: batch, height: matched.height, width: matched.width,
        channels: matched.channels, outputHeight: target.height, outputWidth: target.width,
        output: output.buffer,
        pool: pool)
    }
    return ResamplingRecord(
      input: x, normalization: record, matched: matched,
      output: FeatureMap(
        values: output, height: target.height, width: target.width, channels: matched.channels),
      poolGeometry: poolGeometry)
  }

  /// Adds the gradient of a resampling's input, from its output's, into `inputGradient` (created
  /// when nil).
  func resampleBackward(
    _ record: ResamplingRecord, _ layer: TrainingResampling, outputGradient: FloatBuffer,
    into inputGradient: inout FloatBuffer?
  ) {
    var matchedGradient = outputGradient
    if record.output.values !== record.matched.values {
      matchedGradient = buffer(record.matched.count(batch: batch))
      if let geometry = record.poolGeometry {
        FeatureResampling.maxPoolBackward(
          input: record.matched.values.readable, batch: batch, channels: record.matched.channels,
          geometry: geometry,
          outputGradient: outputGradient.readable, inputGradient: matchedGradient.buffer, accumulate: false,
          pool: pool)
      } else {
        FeatureResampling.nearestUpsampleBackward(
          outputGradient: outputGradient.readable, batch: batch, height: record.matched.height,
          width: record.matched.width, channels: record.matched.channels, outputHeight: record.output.height,
          outputWidth: record.output.width, inputGradient: matchedGradient.buffer, accumulate: false,
          pool: pool)
      }
    }
    var gradient = matchedGradient
    if let convolution = layer.convolution, let normalization = layer.normalization,
      let normalized = record.normalization
    {
      let convolvedGradient = normalization.backward(normalized, outputGradient: matchedGradient, pool: pool)
      gradient = pointwiseBackward(convolution, input: record.input, outputGradient: convolvedGradient)
    }
    if let existing = inputGradient {
      Elementwise.add(gradient.readable, into: existing.buffer, pool: pool)
    } else {
      inputGradient = gradient
    }
  }
}
