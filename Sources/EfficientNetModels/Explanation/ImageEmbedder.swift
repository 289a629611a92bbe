import EfficientNetCore
import EfficientNetImageIO

/// Turns images into embeddings: the globally pooled head features (timm's
/// `forward_head(forward_features(x), pre_logits=True)`), for retrieval or linear probes.
///
/// Works with headless models too. Not thread-safe (it owns an ``InferenceEngine``).
///
/// ```swift
/// let embedder = ImageEmbedder(model: model)
/// let vectors = try embedder.embeddings(for: [try ImageDecoder.decode(contentsOf: url)])  // [1, 1280]
/// ```
public final class ImageEmbedder {
  /// The model's configuration.
  public let configuration: Configuration
  /// How images become inputs (default: the model's evaluation transform).
  public var preprocessing: PreprocessingConfiguration
  let engine: InferenceEngine

  /// Compiles a model for embedding.
  public init(model: EfficientNet) {
    configuration = model.configuration
    preprocessing = model.configuration.preprocessing
    engine = InferenceEngine(model: model)
  }

  /// The length of one embedding: the head's channels F (1280 for B0 and Lite0).
  public var featureCount: Int { engine.architecture.headChannels }

  /// The model input for a batch of images, preprocessed as ``ImageClassifier`` does.
  ///
  /// - Parameter images: Any sizes; gray, RGB, with or without alpha, 8 or 16 bit.
  /// - Returns: `[N, R, R, C]` NHWC, R = `preprocessing.resolution`, C = the model's input channels.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a model that does not take 1 or 3 channels.
  public func inputTensor(for images: [DecodedImage]) throws -> Tensor {
    let channels = configuration.inputChannels
    try ModelError.requireImageChannels(channels)
    let resolution = preprocessing.resolution
    let perImage = resolution * resolution * channels
    var tensor = Tensor(zeros: [images.count, resolution, resolution, channels])
    tensor.withUnsafeMutableBufferPointer { output in
      for (index, image) in images.enumerated() {
        let source = image.convertedToRGB8()
        let target = UnsafeMutableBufferPointer(
          rebasing: output[(index * perImage)..<((index + 1) * perImage)])
        source.samples8.withUnsafeBufferPointer { pixels in
          if channels == 1 {
            let gray = Preprocessor.grayscale(rgb: pixels)
            gray.withUnsafeBufferPointer {
              Preprocessor.preprocess(
                pixels: $0, width: source.width, height: source.height, channels: 1,
                configuration: preprocessing, outputChannels: 1, into: target)
            }
          } else {
            Preprocessor.preprocess(
              pixels: pixels, width: source.width, height: source.height, channels: 3,
              configuration: preprocessing, outputChannels: 3, into: target)
          }
        }
      }
    }
    return tensor
  }

  /// The embeddings of a batch of images.
  ///
  /// - Parameter images: At least one image.
  /// - Returns: `[N, F]`.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for no images or an unsupported channel count.
  public func embeddings(for images: [DecodedImage]) throws -> Tensor {
    guard !images.isEmpty else { throw ModelError.invalidInput(name: "images", reason: "no images to embed") }
    return try embeddings(input: try inputTensor(for: images))
  }

  /// The embeddings of a preprocessed batch.
  ///
  /// - Parameter input: `[N, H, W, C]` NHWC.
  /// - Returns: `[N, F]`.
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a wrong shape or non-finite values.
  public func embeddings(input: Tensor) throws -> Tensor {
    try engine.evaluate(input).pooledFeatures
  }
}
