import EfficientNetCore
import EfficientNetKernels

/// A 1×1 convolution or linear layer ready for ``GEMM``: packed weights and bias.
struct CompiledPointwise {
  let weights: PackedWeights
  let bias: FixedBuffer

  init(weights: [Float], bias: [Float], outputCount: Int) {
    self.weights = weights.withUnsafeBufferPointer {
      PackedWeights(outputMajor: $0, outputCount: outputCount, inputCount: weights.count / outputCount)
    }
    self.bias = FixedBuffer(bias)
  }

  init(folded: FoldedConvolution) {
    self.init(weights: folded.weights, bias: folded.bias, outputCount: folded.outputChannels)
  }

  var inputCount: Int { weights.inputCount }
  var outputCount: Int { weights.outputCount }
}

/// The stem's k×k convolution with batch norm folded, weights packed for ``Convolution``.
struct CompiledConvolution {
  let weights: FixedBuffer
  let bias: FixedBuffer
  let inputChannels: Int
  let outputChannels: Int
  let kernelSize: Int

  init(folded: FoldedConvolution, inputChannels: Int, kernelSize: Int) {
    self.inputChannels = inputChannels
    outputChannels = folded.outputChannels
    self.kernelSize = kernelSize
    weights = FixedBuffer(
      folded.weights.withUnsafeBufferPointer {
        Convolution.packWeights(
          fromPyTorch: $0, outputChannels: folded.outputChannels, inputChannels: inputChannels, groups: 1,
          kernelHeight: kernelSize, kernelWidth: kernelSize)
      })
    bias = FixedBuffer(folded.bias)
  }
}

/// One MBConv / depthwise-separable block, folded and packed.
struct CompiledBlock {
  let block: ResolvedBlock
  let expansion: CompiledPointwise?
  let depthwiseWeights: FixedBuffer
  let depthwiseBias: FixedBuffer
  let squeeze: CompiledSqueezeExcitation?
  let projection: CompiledPointwise

  init(model: EfficientNet, block: ResolvedBlock) {
    self.block = block
    let prefix = "blocks.\(block.stage).\(block.indexInStage)."
    let depthwiseNorm: String
    let projectionName: String
    let projectionNorm: String
    switch block.kind {
    case .depthwiseSeparable:
      expansion = nil
      depthwiseNorm = "bn1"
      projectionName = "conv_pw"
      projectionNorm = "bn2"
    case .invertedResidual:
      expansion = CompiledPointwise(
        folded: FoldedConvolution(model: model, convolution: prefix + "conv_pw", batchNorm: prefix + "bn1"))
      depthwiseNorm = "bn2"
      projectionName = "conv_pwl"
      projectionNorm = "bn3"
    }
    let depthwise = FoldedConvolution(
      model: model, convolution: prefix + "conv_dw", batchNorm: prefix + depthwiseNorm)
    depthwiseWeights = FixedBuffer(
      depthwise.weights.withUnsafeBufferPointer {
        DepthwiseConvolution.packWeights(
          fromPyTorch: $0, channels: block.expandedChannels, kernelHeight: block.kernelSize,
          kernelWidth: block.kernelSize)
      })
    depthwiseBias = FixedBuffer(depthwise.bias)
    squeeze =
      block.hasSqueezeExcitation ? CompiledSqueezeExcitation(model: model, prefix: prefix + "se.") : nil
    projection = CompiledPointwise(
      folded: FoldedConvolution(
        model: model, convolution: prefix + projectionName, batchNorm: prefix + projectionNorm))
  }
}

/// Squeeze-and-excitation weights in PyTorch's layout: reduce `[R, C]`, expand `[C, R]`.
struct CompiledSqueezeExcitation {
  let reduceWeights: FixedBuffer
  let reduceBias: FixedBuffer
  let expandWeights: FixedBuffer
  let expandBias: FixedBuffer
  let reducedChannels: Int

  init(model: EfficientNet, prefix: String) {
    let reduce = model.tensors[prefix + "conv_reduce.weight"]!
    reducedChannels = reduce.shape[0]
    reduceWeights = FixedBuffer(reduce.scalars)
    reduceBias = FixedBuffer(model.tensors[prefix + "conv_reduce.bias"]!.scalars)
    expandWeights = FixedBuffer(model.tensors[prefix + "conv_expand.weight"]!.scalars)
    expandBias = FixedBuffer(model.tensors[prefix + "conv_expand.bias"]!.scalars)
  }
}
