import EfficientNetCore
import Foundation
import WeightIO

extension Configuration {
  /// Takes the class count, input channels and presence of a classifier from a weights file:
  /// `classifier.weight` `[classes, features]` and `conv_stem.weight` `[O, channels, 3, 3]`.
  public func adapted(to file: SafeTensorsFile) -> Configuration {
    var configuration = self
    if let classifier = file[CheckpointNaming.timm.classifierWeightName], classifier.shape.count == 2 {
      configuration.classCount = classifier.shape[0]
      configuration.includeClassifier = true
    } else {
      configuration.includeClassifier = false
    }
    if let stem = file[CheckpointNaming.timm.stemWeightName], stem.shape.count == 4 {
      configuration.inputChannels = stem.shape[1]
    }
    return configuration
  }
}

extension EfficientNet {
  /// Loads a model's tensors from a safetensors file with timm's names (any of F32, F16, BF16, …).
  ///
  /// - Throws: ``ModelError`` for a missing, unexpected or misshapen tensor, naming it and the file.
  public init(architecture: Architecture, file: SafeTensorsFile) throws {
    var tensors: [String: Tensor] = [:]
    for stored in file.tensors {
      var tensor = Tensor(zeros: stored.shape)
      if stored.dataType.isInteger && stored.name.hasSuffix("num_batches_tracked") { continue }
      tensor.withUnsafeMutableBufferPointer { stored.copyFloats(into: $0) }
      tensors[stored.name] = tensor
    }
    try self.init(architecture: architecture, tensors: tensors, source: file.source)
  }

  /// Loads a safetensors file for the named configuration, taking class count and input channels
  /// from the file.
  public init(configuration: Configuration, contentsOf url: URL) throws {
    let file = try SafeTensorsFile(contentsOf: url)
    try self.init(architecture: try configuration.adapted(to: file).resolve(), file: file)
  }

  /// The model's tensors as a safetensors file in timm's names and PyTorch's layouts; the header holds
  /// the configuration (``Configuration/architectureMetadata``), so any model loads back unnamed.
  ///
  /// - Parameters:
  ///   - dataType: `.float32` or `.float16`.
  ///   - classNames: The names of the classes, stored as a JSON array under `class_names` (when their
  ///     number is the class count), so that `classify` can print them.
  public func safeTensors(as dataType: TensorDataType = .float32, classNames: [String]? = nil) throws
    -> SafeTensorsWriter
  {
    var metadata = configuration.architectureMetadata
    metadata["format"] = "pt"
    if let classNames, classNames.count == configuration.classCount,
      let json = try? JSONEncoder().encode(classNames)
    {
      metadata["class_names"] = String(decoding: json, as: UTF8.self)
    }
    var writer = SafeTensorsWriter(metadata: metadata)
    for spec in specs {
      try writer.add(name: spec.name, shape: spec.shape, values: tensors[spec.name]!.scalars, as: dataType)
    }
    return writer
  }
}

extension SafeTensorsFile {
  /// The class names a training run stored (`class_names`, a JSON array), or nil.
  public var classNames: [String]? {
    guard let text = metadata["class_names"] else { return nil }
    return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
  }
}
