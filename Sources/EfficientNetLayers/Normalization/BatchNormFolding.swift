/// Batch norm folded into the convolution before it, for inference: `W' = W · γ/√(σ² + ε)` per output
/// channel and `b' = β − μ · γ/√(σ² + ε)` (in `Double`, rounded once). Weights keep PyTorch's layout
/// (`[O, …]`, output-major).
public enum BatchNormFolding {
  /// The folded weights and bias.
  ///
  /// - Parameters:
  ///   - weights: the convolution's weights, `[O, …]`.
  ///   - scale, shift, runningMean, runningVariance: the batch norm's γ, β, μ, σ², each `[O]`.
  ///   - epsilon: ε.
  /// - Returns: `W'` (the shape of `weights`) and `b'` `[O]`.
  public static func fold(
    weights: [Float], scale: [Float], shift: [Float], runningMean: [Float], runningVariance: [Float],
    epsilon: Double
  ) -> (weights: [Float], bias: [Float]) {
    let outputChannels = scale.count
    precondition(outputChannels > 0 && weights.count % outputChannels == 0, "weights must be [O, …]")
    let perOutput = weights.count / outputChannels
    var folded = weights
    var bias = [Float](repeating: 0, count: outputChannels)
    for channel in 0..<outputChannels {
      let factor = Double(scale[channel]) / (Double(runningVariance[channel]) + epsilon).squareRoot()
      for index in channel * perOutput..<(channel + 1) * perOutput {
        folded[index] = Float(Double(folded[index]) * factor)
      }
      bias[channel] = Float(Double(shift[channel]) - Double(runningMean[channel]) * factor)
    }
    return (folded, bias)
  }
}
