import EfficientNetImageIO

extension Configuration {
  /// How this model's evaluation inputs are made (timm's per-variant defaults): resize the shorter
  /// side to `resolution / cropFraction` with bicubic interpolation, center-crop `resolution`, and
  /// normalize with ImageNet statistics — or mean = std = 0.5 for TensorFlow's Lite weights.
  /// The crop is ``cropFraction``: 0.875 for timm's own weights, about `resolution / (resolution + 32)`
  /// (timm's literal values) for the TensorFlow-ported `tf_*` variants.
  public var preprocessing: PreprocessingConfiguration {
    var mean = PreprocessingConfiguration.imageNetMean
    var deviation = PreprocessingConfiguration.imageNetStandardDeviation
    if name.hasPrefix("tf_efficientnet_lite") {
      mean = [0.5, 0.5, 0.5]
      deviation = [0.5, 0.5, 0.5]
    }
    if inputChannels != 3 {
      // One statistic per input channel: the average of the RGB ones (a gray image's statistics).
      let averageMean = mean.reduce(0, +) / 3
      let averageDeviation = deviation.reduce(0, +) / 3
      mean = Array(repeating: averageMean, count: inputChannels)
      deviation = Array(repeating: averageDeviation, count: inputChannels)
    }
    return PreprocessingConfiguration(
      resolution: resolution, cropFraction: cropFraction, interpolation: .bicubic, mean: mean,
      standardDeviation: deviation)
  }
}
