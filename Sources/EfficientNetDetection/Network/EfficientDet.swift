import EfficientNetCore
import EfficientNetKernels
import EfficientNetModels
import Foundation
import WeightIO

/// An EfficientDet with its weights: the backbone as an ``EfficientNet`` and the feature network
/// and heads as named tensors (effdet's state-dict names).
public struct EfficientDet: Sendable {
  /// The configuration (the class count taken from the weights).
  public let configuration: DetectorConfiguration
  /// The typed description every executor reads.
  public let layout: DetectorLayout
  /// The backbone (its classifier-head tensors are unused placeholders: effdet has none).
  public let backbone: EfficientNet
  /// The feature network's and heads' tensors by effdet name.
  public private(set) var tensors: [String: Tensor]
  /// The class names the weights file stored (`class_names`), when it did.
  public var classNames: [String]?

  /// A detector from effdet-named tensors (the backbone's under `backbone.`), checked against the
  /// layout: every tensor present, of its shape, finite; nothing unexpected.
  ///
  /// - Throws: ``ModelError`` naming the first missing, unexpected, misshapen or non-finite tensor
  ///   and `source`.
  public init(
    configuration: DetectorConfiguration, tensors given: [String: Tensor], source: String = "weights"
  )
    throws
  {
    let layout = try DetectorLayout(configuration)
    self.configuration = configuration
    self.layout = layout
    let expected = Dictionary(uniqueKeysWithValues: layout.parameters.map { ($0.name, $0) })
    for name in given.keys.sorted()
    where expected[name] == nil && !name.hasSuffix("num_batches_tracked") {
      throw ModelError.unexpectedTensor(name: name, shape: given[name]!.shape, source: source)
    }
    var backboneTensors: [String: Tensor] = [:]
    var own: [String: Tensor] = [:]
    for parameter in layout.parameters {
      guard let tensor = given[parameter.name] else {
        throw ModelError.missingTensor(name: parameter.name, expectedShape: parameter.shape, source: source)
      }
      guard tensor.shape == parameter.shape else {
        throw ModelError.shapeMismatch(
          name: parameter.name, expected: parameter.shape, found: tensor.shape, source: source)
      }
      guard tensor.withUnsafeBufferPointer({ Elementwise.allFinite($0) }) else {
        throw ModelError.nonFiniteValues(name: parameter.name, source: source)
      }
      if parameter.name.hasPrefix(DetectorLayout.backbonePrefix) {
        backboneTensors[String(parameter.name.dropFirst(DetectorLayout.backbonePrefix.count))] = tensor
      } else {
        own[parameter.name] = tensor
      }
    }
    // effdet's backbone stops at the last block; the classifier's head convolution is filled with
    // zeros (never read by the detector).
    let head = layout.backbone.head
    for name in layout.backbone.parameters(of: head).map(\.name) {
      let shape = layout.backbone.parameters(of: head).first { $0.name == name }!.shape
      backboneTensors[name] = Tensor(shape: shape, repeating: name.hasSuffix("running_var") ? 1 : 0)
    }
    backbone = try EfficientNet(
      architecture: layout.backbone.architecture, tensors: backboneTensors, source: source)
    tensors = own
  }

  /// The named tensor (which the detector has by construction).
  public func tensor(_ name: String) -> Tensor {
    guard let tensor = tensors[name] else { preconditionFailure("the detector has no tensor \(name)") }
    return tensor
  }

  /// The class count the weights' class head predicts (`class_net.predict.conv_pw.weight`'s rows / 9).
  public static func classCount(in names: [String: [Int]]) -> Int? {
    guard let shape = names["class_net.predict.conv_pw.weight"], let rows = shape.first,
      rows % DetectorConfiguration.anchorsPerPosition == 0
    else { return nil }
    return rows / DetectorConfiguration.anchorsPerPosition
  }

  /// Loads effdet-named weights (safetensors or a PyTorch `.pth`) for `configuration`, taking the
  /// class count and any stored class names from the file.
  ///
  /// - Throws: file errors naming `url`; ``ModelError`` for a tensor that does not fit.
  public static func load(configuration: DetectorConfiguration, contentsOf url: URL) throws -> EfficientDet {
    let stored: [StoredTensor]
    let source: String
    var classNames: [String]?
    switch try WeightFileFormat.of(contentsOf: url) {
    case .pyTorch:
      let checkpoint = try PyTorchCheckpoint(contentsOf: url)
      (stored, source) = (checkpoint.tensors, checkpoint.source)
    case .safeTensors:
      let file = try SafeTensorsFile(contentsOf: url)
      (stored, source, classNames) = (file.tensors, file.source, file.classNames)
    }
    var configuration = configuration
    if let classes = classCount(
      in: Dictionary(stored.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }))
    {
      configuration.classCount = classes
    }
    var tensors: [String: Tensor] = [:]
    for tensor in stored where !tensor.name.hasSuffix("num_batches_tracked") {
      var values = Tensor(zeros: tensor.shape)
      values.withUnsafeMutableBufferPointer { tensor.copyFloats(into: $0) }
      tensors[tensor.name] = values
    }
    var detector = try EfficientDet(configuration: configuration, tensors: tensors, source: source)
    detector.classNames = classNames
    return detector
  }
}
