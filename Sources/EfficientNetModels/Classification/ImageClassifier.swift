import EfficientNetCore
import EfficientNetImageIO
import EfficientNetKernels
import Foundation

/// One class of a classification result.
public struct Prediction: Equatable, Sendable, Codable {
  /// The class index.
  public var classIndex: Int
  /// The class name (`class N` when no names are known).
  public var label: String
  /// The softmax probability.
  public var probability: Float
}

/// Classifies images end to end: decode, timm's evaluation preprocessing, the network, softmax.
///
/// Not thread-safe (it owns one ``InferenceEngine``); make one per thread.
public final class ImageClassifier {
  /// The model's configuration (its preprocessing defaults included).
  public let configuration: Configuration
  /// The class names, one per output.
  public let labels: [String]
  /// The preprocessing applied to every image.
  public var preprocessing: PreprocessingConfiguration
  let engine: InferenceEngine

  /// Wraps a model; `labels` default to ImageNet's names for 1,000 classes, `class N` otherwise.
  public init(model: EfficientNet, labels: [String]? = nil) throws {
    guard model.configuration.includeClassifier else {
      throw ModelError.invalidInput(name: "model", reason: "a headless model has no classes to predict")
    }
    configuration = model.configuration
    let count = model.configuration.classCount
    if let labels {
      guard labels.count == count else {
        throw ModelError.invalidInput(
          name: "labels", reason: "\(labels.count) class names for a model with \(count) classes")
      }
      self.labels = labels
    } else if count == 1000, let names = try? PretrainedModels.imageNetClassNames(), names.count == 1000 {
      self.labels = names
    } else {
      self.labels = (0..<count).map { "class \($0)" }
    }
    preprocessing = model.configuration.preprocessing
    engine = InferenceEngine(model: model)
  }

  /// The pretrained EfficientNet-Lite0 that ships with the package, with ImageNet's class names.
  public static func pretrainedLite0() throws -> ImageClassifier {
    try ImageClassifier(model: try pretrainedLite0Model())
  }

  /// The network of ``pretrainedLite0()``.
  public static func pretrainedLite0Model() throws -> EfficientNet {
    let configuration = try ModelRegistry.configuration(named: PretrainedModels.defaultModelName)
    return try EfficientNet(configuration: configuration, contentsOf: try PretrainedModels.lite0WeightsURL())
  }

  /// Decodes and classifies one image file.
  ///
  /// - Throws: ``ImageDecodingError`` naming the file when it cannot be decoded.
  public func classify(contentsOf url: URL, top: Int = 5) throws -> [Prediction] {
    try classify(try ImageDecoder.decode(contentsOf: url), top: top)
  }

  /// Classifies a decoded image (any size; gray, RGB, with or without alpha, 8 or 16 bit).
  public func classify(_ image: DecodedImage, top: Int = 5) throws -> [Prediction] {
    try predictions(logits: try logits(for: image), top: top)
  }

  /// The model's input tensor for an image, `[1, R, R, C]` NHWC.
  public func inputTensor(for image: DecodedImage) -> Tensor {
    let channels = configuration.inputChannels
    let source = image.convertedToRGB8()
    return source.samples8.withUnsafeBufferPointer { pixels in
      if channels == 1 {
        let gray = Preprocessor.grayscale(rgb: pixels)
        return gray.withUnsafeBufferPointer {
          Preprocessor.preprocess(
            pixels: $0, width: source.width, height: source.height, channels: 1, configuration: preprocessing,
            outputChannels: 1)
        }
      }
      return Preprocessor.preprocess(
        pixels: pixels, width: source.width, height: source.height, channels: 3, configuration: preprocessing,
        outputChannels: 3)
    }
  }

  /// The logits `[1, classes]` for an image.
  public func logits(for image: DecodedImage) throws -> Tensor {
    try ModelError.requireImageChannels(configuration.inputChannels)
    guard let logits = try engine.evaluate(inputTensor(for: image)).logits else {
      throw ModelError.invalidInput(name: "model", reason: "a headless model has no classes to predict")
    }
    return logits
  }

  /// The `top` most probable classes of one row of logits, most probable first.
  public func predictions(logits: Tensor, top: Int) throws -> [Prediction] {
    var probabilities = logits
    let columns = logits.shape.last ?? 0
    probabilities.withUnsafeMutableBufferPointer {
      Softmax.softmaxRows($0, rows: $0.count / max(1, columns), columns: columns, pool: .shared)
    }
    let values = probabilities.scalars
    let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
    return order.prefix(max(0, top)).map {
      Prediction(classIndex: $0, label: labels[$0], probability: values[$0])
    }
  }
}
