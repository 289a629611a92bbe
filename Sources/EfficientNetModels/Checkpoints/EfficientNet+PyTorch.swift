import EfficientNetCore
import Foundation
import WeightIO

extension CheckpointNaming {
  /// The checkpoint's tensors under timm's names for `architecture`, converted to `Float`, after
  /// detecting the checkpoint's naming scheme; `num_batches_tracked` counters are dropped.
  ///
  /// Shapes: PyTorch's layouts (`[O, I, KH, KW]`, `[classes, features]`), unchanged.
  /// - Parameters:
  ///   - checkpoint: a state dict in timm's, torchvision's or lukemelas's names.
  ///   - architecture: the model the tensors are for.
  /// Each tensor's shape is compared with the architecture's before its values are read (a strided
  /// tensor is gathered only then), and its values are checked with ``WeightValueValidation``.
  /// - Throws: ``CheckpointMappingError`` for an unknown scheme, or for an unexpected, missing or
  ///   misshapen tensor (named in the checkpoint's scheme and in timm's); ``WeightValueError`` for a
  ///   non-finite value or a negative running variance.
  public static func timmTensors(from checkpoint: PyTorchCheckpoint, architecture: Architecture) throws
    -> [String: Tensor]
  {
    let naming = try detect(checkpoint.names, source: checkpoint.source)
    var specByName: [String: ParameterSpec] = [:]
    let table = naming.nameTable(for: architecture)
    for (name, spec) in table { specByName[name] = spec }
    var tensors: [String: Tensor] = [:]
    for stored in checkpoint.tensors where !stored.name.hasSuffix("num_batches_tracked") {
      guard let spec = specByName[stored.name] else {
        throw CheckpointMappingError.unexpectedTensor(
          source: checkpoint.source, name: stored.name, naming: naming)
      }
      guard stored.shape == spec.shape else {
        throw CheckpointMappingError.shapeMismatch(
          source: checkpoint.source, name: stored.name, timmName: spec.name, expected: spec.shape,
          found: stored.shape)
      }
      var tensor = Tensor(zeros: stored.shape)
      try tensor.withUnsafeMutableBufferPointer { buffer in
        stored.copyFloats(into: buffer)
        try WeightValueValidation.check(
          UnsafeBufferPointer(buffer), tensor: stored.name, isVariance: spec.role == .runningVariance,
          source: checkpoint.source)
      }
      tensors[spec.name] = tensor
    }
    for (name, spec) in table where tensors[spec.name] == nil {
      throw CheckpointMappingError.missingTensor(
        source: checkpoint.source, name: name, timmName: spec.name, expectedShape: spec.shape)
    }
    return tensors
  }
}

extension Configuration {
  /// Takes the class count, input channels and presence of a classifier from a PyTorch checkpoint in
  /// any naming scheme: the classifier weight `[classes, features]` and the stem weight
  /// `[O, channels, 3, 3]`.
  ///
  /// - Throws: ``CheckpointMappingError/unknownNaming(source:sampleNames:)`` when the scheme is unknown.
  public func adapted(to checkpoint: PyTorchCheckpoint) throws -> Configuration {
    let naming = try CheckpointNaming.detect(checkpoint.names, source: checkpoint.source)
    var configuration = self
    if let classifier = checkpoint[naming.classifierWeightName], classifier.shape.count == 2 {
      configuration.classCount = classifier.shape[0]
      configuration.includeClassifier = true
    } else {
      configuration.includeClassifier = false
    }
    if let stem = checkpoint[naming.stemWeightName], stem.shape.count == 4 {
      configuration.inputChannels = stem.shape[1]
    }
    return configuration
  }
}

extension EfficientNet {
  /// Builds a model from a PyTorch checkpoint in timm's, torchvision's or lukemelas's names.
  ///
  /// - Throws: ``CheckpointMappingError`` when the names or shapes do not fit `architecture`, or
  ///   ``ModelError`` for non-finite values.
  public init(architecture: Architecture, checkpoint: PyTorchCheckpoint) throws {
    let tensors = try CheckpointNaming.timmTensors(from: checkpoint, architecture: architecture)
    try self.init(architecture: architecture, tensors: tensors, source: checkpoint.source)
  }

  /// Reads a PyTorch checkpoint (`.pth`/`.pt`, either format) for `configuration`, taking the class
  /// count and input channels from the file.
  ///
  /// - Throws: ``CheckpointError`` when the file cannot be read, ``CheckpointMappingError`` when its
  ///   tensors do not fit the configuration.
  public init(configuration: Configuration, pyTorchCheckpoint url: URL) throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: url)
    try self.init(architecture: try configuration.adapted(to: checkpoint).resolve(), checkpoint: checkpoint)
  }

  /// Loads weights from either a safetensors file (timm names) or a PyTorch checkpoint, recognized
  /// by its first bytes, taking the class count and input channels from the file.
  ///
  /// ```swift
  /// let model = try EfficientNet.load(
  ///   configuration: try ModelRegistry.configuration(named: "lite0"),
  ///   contentsOf: URL(fileURLWithPath: "efficientnet-lite0-57934424.pth"))
  /// ```
  /// - Throws: the reader's error (``WeightIOError`` or ``CheckpointError``), the mapping's, or
  ///   ``WeightValueError`` for a non-finite weight or a negative running variance.
  public static func load(configuration: Configuration, contentsOf url: URL) throws -> EfficientNet {
    switch try WeightFileFormat.of(contentsOf: url) {
    case .safeTensors:
      let file = try SafeTensorsFile(contentsOf: url)
      try WeightValueValidation.check(file.tensors, source: file.source)
      return try EfficientNet(architecture: try configuration.adapted(to: file).resolve(), file: file)
    case .pyTorch: return try EfficientNet(configuration: configuration, pyTorchCheckpoint: url)
    }
  }
}
