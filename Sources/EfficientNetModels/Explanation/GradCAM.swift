import EfficientNetCore
import EfficientNetImageIO

/// Which feature map Grad-CAM weighs.
public enum GradCAMLayer: String, Sendable, CaseIterable {
  /// The head's activated output, `[h, w, F]`: timm's `bn2` (conv_head + batch norm + activation), the
  /// layer pytorch-grad-cam users usually pick for timm EfficientNets. Its gradient is exact and
  /// analytic (`W[class, k] / (h·w)`), so the map is the class activation map of Zhou et al.
  case head
  /// The last MBConv block's output, `[h, w, C]` (timm's `blocks[-1]`, the input of `conv_head`); the
  /// gradient comes back through the head convolution and its activation.
  case lastBlock = "last-block"

  /// The layout's layer whose output is weighed: the head convolution (its batch norm and
  /// activation included) or the last block's projection (the block's output).
  public func layer(in layout: NetworkLayout) -> NetworkLayer {
    switch self {
    case .head: return layout.head
    case .lastBlock: return layout.blocks.last?.projection ?? layout.stem
    }
  }

  /// timm's name of the module whose output is weighed (`bn2`, or the last block, e.g. `blocks.6.0`).
  public func moduleName(in layout: NetworkLayout) -> String {
    switch self {
    case .head: return layout.names(of: layout.head.identity, in: .timm).normalization ?? "head"
    case .lastBlock:
      return layout.blocks.last?.names[.timm]?.module
        ?? layout.names(of: layout.stem.identity, in: .timm).module
    }
  }
}

/// A Grad-CAM explanation of one class score for one input.
public struct ClassActivationMap: Sendable {
  /// The class explained.
  public var classIndex: Int
  /// The class's score (logit) recomputed through ``ClassificationHead``.
  public var score: Float
  /// The class's softmax probability.
  public var probability: Float
  /// The layer weighed.
  public var layer: GradCAMLayer
  /// α, one weight per channel of the layer: the mean over positions of `∂score/∂A_k`.
  public var channelWeights: [Float]
  /// `ReLU(Σ_k α_k A_k)` at the layer's resolution, `[h, w]`, not normalized.
  public var coarseMap: [Float]
  /// The layer's height h (stride 32).
  public var coarseHeight: Int
  /// The layer's width w.
  public var coarseWidth: Int
  /// The coarse map normalized to [0, 1] (minus its minimum, divided by its new maximum; all zeros
  /// when flat), then upsampled bilinearly (half-pixel centers) to the input size, `[H, W]`.
  public var heatMap: [Float]
  /// The input height H.
  public var height: Int
  /// The input width W.
  public var width: Int

  /// Creates a map from its parts (``GradCAM/explain(input:classIndex:)`` makes them).
  ///
  /// - Parameters: as the properties; `coarseMap` is `[coarseHeight, coarseWidth]` and `heatMap`
  ///   `[height, width]`.
  public init(
    classIndex: Int, score: Float, probability: Float, layer: GradCAMLayer, channelWeights: [Float],
    coarseMap: [Float], coarseHeight: Int, coarseWidth: Int, heatMap: [Float], height: Int, width: Int
  ) {
    precondition(
      coarseMap.count == coarseHeight * coarseWidth, "coarseMap must be [coarseHeight, coarseWidth]")
    precondition(heatMap.count == height * width, "heatMap must be [height, width]")
    self.classIndex = classIndex
    self.score = score
    self.probability = probability
    self.layer = layer
    self.channelWeights = channelWeights
    self.coarseMap = coarseMap
    self.coarseHeight = coarseHeight
    self.coarseWidth = coarseWidth
    self.heatMap = heatMap
    self.height = height
    self.width = width
  }
}

/// Grad-CAM (Selvaraju et al., 2017) for EfficientNet classifiers: which parts of the input raised a
/// class's score.
///
/// One forward pass with the inference engine gives the last block's feature map; the head and its
/// gradient are then computed directly (``ClassificationHead``). Not thread-safe (it owns an engine).
///
/// ```swift
/// let explainer = try GradCAM(model: model)
/// let map = try explainer.explain(try ImageDecoder.decode(contentsOf: url), classIndex: 281)
/// ```
public final class GradCAM {
  /// The head arithmetic and its gradients.
  public let head: ClassificationHead
  /// The layer weighed.
  public var layer: GradCAMLayer
  let classifier: ImageClassifier

  /// Prepares a model for explanation.
  ///
  /// - Parameters:
  ///   - model: A model with a classifier.
  ///   - layer: The feature map to weigh.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a headless model.
  public init(model: EfficientNet, layer: GradCAMLayer = .head) throws {
    head = try ClassificationHead(model: model)
    classifier = try ImageClassifier(model: model)
    self.layer = layer
  }

  /// How images become inputs in ``explain(_:classIndex:)``: the model's evaluation transform.
  public var preprocessing: PreprocessingConfiguration {
    get { classifier.preprocessing }
    set { classifier.preprocessing = newValue }
  }

  /// The class names (ImageNet's for 1,000 classes, `class N` otherwise).
  public var labels: [String] { classifier.labels }

  /// Explains a decoded image, preprocessed with ``preprocessing``.
  ///
  /// - Parameters:
  ///   - image: Any size; gray, RGB, with or without alpha, 8 or 16 bit.
  ///   - classIndex: The class to explain; nil for the top-1 prediction.
  /// - Returns: A map whose ``ClassActivationMap/heatMap`` covers the center crop, `[R, R]`.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a class outside the model's range.
  public func explain(_ image: DecodedImage, classIndex: Int? = nil) throws -> ClassActivationMap {
    try explain(input: classifier.inputTensor(for: image), classIndex: classIndex)
  }

  /// Explains one preprocessed input.
  ///
  /// - Parameters:
  ///   - input: `[1, H, W, C]` NHWC, normalized.
  ///   - classIndex: The class to explain, `0..<K`; nil for the top-1 prediction.
  /// - Returns: The channel weights, the coarse map and the heat map `[H, W]`.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a batch other than 1, a bad input, or a
  ///   class outside the model's range.
  public func explain(input: Tensor, classIndex: Int? = nil) throws -> ClassActivationMap {
    guard input.shape.count == 4, input.shape[0] == 1 else {
      throw ModelError.invalidInput(
        name: "input", reason: "explain one image [1, H, W, C], got \(input.shape)")
    }
    let output = try classifier.engine.evaluate(input, collectFeatures: true)
    guard let logits = output.logits, let last = output.features.last else {
      throw ModelError.invalidInput(name: "model", reason: "a headless model has no class scores to explain")
    }
    let scores = logits.scalars
    // The top-1 class; the first of equal scores.
    let chosen = classIndex ?? scores.indices.max { scores[$0] < scores[$1] } ?? 0
    guard (0..<head.classCount).contains(chosen) else {
      throw ModelError.invalidInput(name: "class", reason: "\(chosen) is outside 0..<\(head.classCount)")
    }
    let (coarseHeight, coarseWidth) = (last.shape[1], last.shape[2])
    let pixels = coarseHeight * coarseWidth
    let features = last.scalars
    let activations = head.activations(features: features, pixels: pixels)
    let layerValues: [Float]
    let gradient: [Float]
    switch layer {
    case .head:
      layerValues = activations
      gradient = head.activationGradient(pixels: pixels, classIndex: chosen)
    case .lastBlock:
      layerValues = features
      gradient = head.featureGradient(features: features, pixels: pixels, classIndex: chosen)
    }
    let (weights, coarse) = GradCAM.weightedMap(values: layerValues, gradient: gradient, pixels: pixels)
    let probabilities = try classifier.predictions(logits: logits, top: head.classCount)
    let probability = probabilities.first { $0.classIndex == chosen }?.probability ?? 0
    let heatMap = HeatMapResampling.bilinear(
      HeatMapResampling.normalized(coarse), height: coarseHeight, width: coarseWidth,
      toHeight: input.shape[1], toWidth: input.shape[2])
    return ClassActivationMap(
      classIndex: chosen,
      score: Float(head.score(activations: activations, pixels: pixels, classIndex: chosen)),
      probability: probability, layer: layer, channelWeights: weights, coarseMap: coarse,
      coarseHeight: coarseHeight, coarseWidth: coarseWidth, heatMap: heatMap, height: input.shape[1],
      width: input.shape[2])
  }

  /// Grad-CAM's two steps: `α_k = mean_p gradient[p, k]`, then `map[p] = ReLU(Σ_k α_k · values[p, k])`.
  ///
  /// - Parameters:
  ///   - values: The layer's activations A, `[P, channels]`.
  ///   - gradient: `∂score/∂A`, `[P, channels]`.
  ///   - pixels: P.
  /// - Returns: α `[channels]` and the map `[P]`.
  public static func weightedMap(
    values: [Float], gradient: [Float], pixels: Int
  ) -> (weights: [Float], map: [Float]) {
    precondition(pixels > 0 && values.count == gradient.count && values.count % pixels == 0, "shape mismatch")
    let channels = values.count / pixels
    var weights = [Double](repeating: 0, count: channels)
    for position in 0..<pixels {
      for channel in 0..<channels { weights[channel] += Double(gradient[position * channels + channel]) }
    }
    weights = weights.map { $0 / Double(pixels) }
    let map = (0..<pixels).map { position -> Float in
      var sum = 0.0
      for channel in 0..<channels { sum += weights[channel] * Double(values[position * channels + channel]) }
      return Float(max(sum, 0))
    }
    return (weights.map { Float($0) }, map)
  }
}
