import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// Every tensor of a model being trained: values (PyTorch layouts, timm names) and, for trainable
/// ones, gradients; and the training form of each layer of the layout, bound to them.
public final class ParameterStore {
  /// The layout the tensors belong to.
  public let layout: NetworkLayout
  /// The tensor specifications in timm's state-dict order.
  public let specs: [ParameterSpec]
  /// Values by name.
  public let values: [String: FloatBuffer]
  /// Gradients by name (trainable tensors only; running statistics have none).
  public let gradients: [String: FloatBuffer]

  /// Copies a model's tensors.
  public init(model: EfficientNet) {
    layout = model.layout
    specs = model.specs
    var values: [String: FloatBuffer] = [:]
    var gradients: [String: FloatBuffer] = [:]
    for spec in model.specs {
      values[spec.name] = FloatBuffer(copying: model.tensors[spec.name]!)
      if spec.role.isTrainable { gradients[spec.name] = FloatBuffer(count: spec.elementCount) }
    }
    self.values = values
    self.gradients = gradients
  }

  /// Zeroes every gradient.
  public func zeroGradients() {
    for gradient in gradients.values { GradientArithmetic.fillWithZeros(gradient.buffer) }
  }

  /// The current values as named tensors (for saving or building an inference model).
  public func tensors() -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for spec in specs { result[spec.name] = Tensor(shape: spec.shape, values: values[spec.name]!.array) }
    return result
  }

  // MARK: Layers bound to the tensors

  private func value(_ role: ParameterRole, of layer: NetworkLayer) -> FloatBuffer {
    values[layout.parameterName(role, of: layer.identity)]!
  }

  private func gradient(_ role: ParameterRole, of layer: NetworkLayer) -> FloatBuffer {
    gradients[layout.parameterName(role, of: layer.identity)]!
  }

  /// A 1×1 or linear layer over its weight (and bias) and their gradients.
  func pointwise(_ layer: NetworkLayer) -> PointwiseLayer {
    let weightRole: ParameterRole = layer.operation == .linear ? .linearWeight : .convolutionWeight
    return PointwiseLayer(
      weight: value(weightRole, of: layer), bias: layer.hasBias ? value(.bias, of: layer) : nil,
      outputCount: layer.outputChannels, weightGradient: gradient(weightRole, of: layer),
      biasGradient: layer.hasBias ? gradient(.bias, of: layer) : nil)
  }

  /// A depthwise layer over its weight and gradient.
  func depthwise(_ layer: NetworkLayer) -> DepthwiseLayer {
    DepthwiseLayer(
      weight: value(.convolutionWeight, of: layer), weightGradient: gradient(.convolutionWeight, of: layer),
      channels: layer.outputChannels, kernelSize: layer.kernelSize)
  }

  /// The stem's convolution over its weight and gradient.
  func convolution(_ layer: NetworkLayer) -> ConvolutionLayer {
    ConvolutionLayer(
      weight: value(.convolutionWeight, of: layer), weightGradient: gradient(.convolutionWeight, of: layer),
      inputChannels: layer.inputChannels, outputChannels: layer.outputChannels, kernelSize: layer.kernelSize)
  }

  /// The batch norm after `layer`.
  func batchNorm(after layer: NetworkLayer) -> BatchNormLayer {
    BatchNormLayer(
      scale: value(.batchNormWeight, of: layer), shift: value(.batchNormBias, of: layer),
      runningMean: value(.runningMean, of: layer), runningVariance: value(.runningVariance, of: layer),
      scaleGradient: gradient(.batchNormWeight, of: layer),
      shiftGradient: gradient(.batchNormBias, of: layer),
      epsilon: layout.architecture.configuration.batchNormEpsilon)
  }
}
