import EfficientNetKernels
import EfficientNetModels

/// A batch norm's tensors and gradients, resolved once from the parameter store.
struct BatchNormHandles {
  let gamma: FloatBuffer, beta: FloatBuffer, runningMean: FloatBuffer, runningVariance: FloatBuffer
  let gammaGradient: FloatBuffer, betaGradient: FloatBuffer

  init(_ store: ParameterStore, _ name: String) {
    gamma = store.value(name + ".weight")
    beta = store.value(name + ".bias")
    runningMean = store.value(name + ".running_mean")
    runningVariance = store.value(name + ".running_var")
    gammaGradient = store.gradient(name + ".weight")
    betaGradient = store.gradient(name + ".bias")
  }
}

/// A 1×1 convolution or linear layer: weights `[N, K]`, their packing for ``GEMM`` (refreshed in place
/// each step), gradient, optional bias.
final class PointwiseHandles {
  let weight: FloatBuffer, gradient: FloatBuffer
  let bias: FloatBuffer?, biasGradient: FloatBuffer?
  let inputs: Int, outputs: Int
  let packed: PackedWeights

  init(_ store: ParameterStore, _ name: String, hasBias: Bool) {
    weight = store.value(name + ".weight")
    gradient = store.gradient(name + ".weight")
    bias = hasBias ? store.value(name + ".bias") : nil
    biasGradient = hasBias ? store.gradient(name + ".bias") : nil
    let spec = store.specs.first { $0.name == name + ".weight" }!
    outputs = spec.shape[0]
    inputs = spec.shape.dropFirst().reduce(1, *)
    packed = PackedWeights(outputMajor: weight.readable, outputCount: outputs, inputCount: inputs)
  }

  /// Repacks the current weights (no allocation).
  func refresh() { packed.repack(outputMajor: weight.readable) }
}

/// A depthwise convolution's weights `[C, 1, KH, KW]`, their `[KH, KW, C]` packing and gradient.
struct DepthwiseHandles {
  let weight: FloatBuffer, gradient: FloatBuffer, packed: FloatBuffer
  let channels: Int, kernelSize: Int

  init(_ store: ParameterStore, _ name: String, channels: Int, kernelSize: Int) {
    weight = store.value(name + ".weight")
    gradient = store.gradient(name + ".weight")
    packed = FloatBuffer(count: weight.count)
    self.channels = channels
    self.kernelSize = kernelSize
  }

  func refresh() {
    DepthwiseConvolution.packWeights(
      fromPyTorch: weight.readable, channels: channels, kernelHeight: kernelSize, kernelWidth: kernelSize,
      into: packed.buffer)
  }
}

/// Everything one block reads and writes.
struct BlockHandles {
  let expansion: PointwiseHandles?, expansionNorm: BatchNormHandles?
  let depthwise: DepthwiseHandles, depthwiseNorm: BatchNormHandles
  let squeezeReduce: PointwiseHandles?, squeezeExpand: PointwiseHandles?
  let projection: PointwiseHandles, projectionNorm: BatchNormHandles

  init(_ store: ParameterStore, _ block: ResolvedBlock) {
    let name = "blocks.\(block.stage).\(block.indexInStage)"
    let expands = block.hasExpansion
    expansion = expands ? PointwiseHandles(store, name + ".conv_pw", hasBias: false) : nil
    expansionNorm = expands ? BatchNormHandles(store, name + ".bn1") : nil
    depthwise = DepthwiseHandles(
      store, name + ".conv_dw", channels: block.expandedChannels, kernelSize: block.kernelSize)
    depthwiseNorm = BatchNormHandles(store, name + (expands ? ".bn2" : ".bn1"))
    squeezeReduce =
      block.hasSqueezeExcitation ? PointwiseHandles(store, name + ".se.conv_reduce", hasBias: true) : nil
    squeezeExpand =
      block.hasSqueezeExcitation ? PointwiseHandles(store, name + ".se.conv_expand", hasBias: true) : nil
    projection = PointwiseHandles(store, name + (expands ? ".conv_pwl" : ".conv_pw"), hasBias: false)
    projectionNorm = BatchNormHandles(store, name + (expands ? ".bn3" : ".bn2"))
  }

  func refresh() {
    expansion?.refresh()
    depthwise.refresh()
    squeezeReduce?.refresh()
    squeezeExpand?.refresh()
    projection.refresh()
  }
}

/// The stem's k×k convolution: weights, gradient and packing for ``Convolution``.
struct StemHandles {
  let weight: FloatBuffer, gradient: FloatBuffer, packed: FloatBuffer
  let inputChannels: Int, outputChannels: Int
  let norm: BatchNormHandles

  init(_ store: ParameterStore, inputChannels: Int, outputChannels: Int) {
    weight = store.value("conv_stem.weight")
    gradient = store.gradient("conv_stem.weight")
    packed = FloatBuffer(
      count: Convolution.packedWeightCount(
        outputChannels: outputChannels, inputChannels: inputChannels, groups: 1, kernelHeight: 3,
        kernelWidth: 3))
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    norm = BatchNormHandles(store, "bn1")
  }

  func refresh() {
    Convolution.packWeights(
      fromPyTorch: weight.readable, outputChannels: outputChannels, inputChannels: inputChannels, groups: 1,
      kernelHeight: 3, kernelWidth: 3, into: packed.buffer)
  }
}
