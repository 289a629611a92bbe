import EfficientNetCore
import EfficientNetLayers

/// The feature network's and heads' values and gradients, one buffer pair per effdet tensor name,
/// and the layer operations over them (the backbone's live in its own `ParameterStore`).
public final class DetectorParameters {
  /// Values by effdet name.
  public let values: [String: FloatBuffer]
  /// Gradients by effdet name (running statistics have none).
  public let gradients: [String: FloatBuffer]
  /// The tensors, in state-dict order.
  public let parameters: [DetectorParameter]

  /// Copies `detector`'s tensors outside the backbone.
  public init(_ detector: EfficientDet) {
    parameters = detector.layout.parameters.filter { !$0.name.hasPrefix(DetectorLayout.backbonePrefix) }
    var values: [String: FloatBuffer] = [:]
    var gradients: [String: FloatBuffer] = [:]
    for parameter in parameters {
      values[parameter.name] = FloatBuffer(copying: detector.tensor(parameter.name))
      if parameter.isTrainable { gradients[parameter.name] = FloatBuffer(count: parameter.elementCount) }
    }
    self.values = values
    self.gradients = gradients
  }

  /// Sets every gradient to zero.
  public func zeroGradients() {
    for gradient in gradients.values { gradient.buffer.update(repeating: 0) }
  }

  /// The current values as tensors, by effdet name.
  public func tensors() -> [String: Tensor] {
    Dictionary(
      uniqueKeysWithValues: parameters.map {
        ($0.name, Tensor(shape: $0.shape, values: values[$0.name]!.array))
      })
  }

  func pointwise(_ layer: DetectorLayer) -> PointwiseLayer {
    PointwiseLayer(
      weight: values[layer.module + ".weight"]!, bias: layer.hasBias ? values[layer.module + ".bias"]! : nil,
      outputCount: layer.outputChannels, weightGradient: gradients[layer.module + ".weight"]!,
      biasGradient: layer.hasBias ? gradients[layer.module + ".bias"]! : nil)
  }

  func depthwise(_ layer: DetectorLayer) -> DepthwiseLayer {
    DepthwiseLayer(
      weight: values[layer.module + ".weight"]!, weightGradient: gradients[layer.module + ".weight"]!,
      channels: layer.outputChannels, kernelSize: DetectorLayer.depthwiseKernelSize)
  }

  func batchNorm(_ normalization: DetectorNormalization) -> BatchNormLayer {
    let module = normalization.module
    return BatchNormLayer(
      scale: values[module + ".weight"]!, shift: values[module + ".bias"]!,
      runningMean: values[module + ".running_mean"]!, runningVariance: values[module + ".running_var"]!,
      scaleGradient: gradients[module + ".weight"]!, shiftGradient: gradients[module + ".bias"]!,
      epsilon: Double(DetectorNormalization.epsilon))
  }
}
