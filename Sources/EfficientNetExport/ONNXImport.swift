import EfficientNetCore
import EfficientNetModels
import Foundation
import ONNXSchema
import SwiftProtobuf

/// Import from ONNX: the weights of an EfficientNet graph (timm's export through torch.onnx, ours, or
/// any graph with the same convolutions in the same order), mapped to timm's names by the graph's
/// structure — the n-th convolution is the n-th convolution layer of the network, the `Gemm` its
/// classifier — never by initializer names, which exporters rename (`onnx::Conv_291`).
///
/// A convolution with its batch norm folded in (as torch.onnx writes eval-mode models) gets the batch
/// norm back as the identity around the folded bias (γ = 1, β = bias, μ = 0, σ² = 1 − ε), so the model
/// computes what the graph computes; a `BatchNormalization` node after a convolution is read as it is.
/// Nodes without weights (padding arithmetic, activations, pooling) are not needed and not read.
public enum ONNXImport {
  /// The EfficientNet of `configuration` with the weights of the ONNX model in `data`.
  ///
  /// - Throws: ``ONNXImportError`` naming `source` and the first node that could not be mapped.
  public static func network(from data: Data, configuration: Configuration, source: String) throws
    -> EfficientNet
  {
    try network(from: ONNXModelFile(data: data, source: source), configuration: configuration)
  }

  /// The EfficientNet of `configuration` with the weights of an ONNX model already read.
  ///
  /// - Throws: ``ONNXImportError`` naming the file and the first node that could not be mapped.
  public static func network(from file: ONNXModelFile, configuration: Configuration) throws -> EfficientNet {
    let (model, source) = (file.model, file.source)
    let values = try ONNXValues(graph: model.graph, source: source)
    let architecture = try configuration.resolve()
    let layout = architecture.layout
    var carriers = try WeightCarrier.collect(model.graph, values: values, source: source)[...]
    var tensors: [String: Tensor] = [:]
    for layer in layout.layers {
      guard let carrier = carriers.popFirst() else {
        throw ONNXImportError.unmapped(
          source, node: "(end of graph)",
          reason: "the graph has no weights left for \(configuration.name)'s \(moduleName(layout, layer))")
      }
      let expected = layer.operation == .linear ? "Gemm" : "Conv"
      guard carrier.operation == expected, carrier.weightShape == layer.weightShape else {
        throw ONNXImportError.unmapped(
          source, node: carrier.node,
          reason: "\(carrier.operation) with weight \(carrier.weightShape), where \(configuration.name)'s "
            + "\(moduleName(layout, layer)) is a \(expected) with weight \(layer.weightShape)")
      }
      let specs = layout.parameters(of: layer)
      func set(_ role: ParameterRole, _ values: [Float]) {
        if let spec = specs.first(where: { $0.role == role }) {
          tensors[spec.name] = Tensor(shape: spec.shape, values: values)
        }
      }
      set(layer.operation == .linear ? .linearWeight : .convolutionWeight, carrier.weights)
      let channels = layer.outputChannels
      if layer.hasBias {
        guard let bias = carrier.bias else {
          throw ONNXImportError.unmapped(
            source, node: carrier.node, reason: "no bias, where \(moduleName(layout, layer)) has one")
        }
        set(.bias, bias)
      }
      if layer.isNormalized {
        if let normalization = carrier.normalization {
          set(.batchNormWeight, normalization.scale)
          set(.batchNormBias, normalization.shift)
          // The convolution's own bias, if the graph has one, moves into the mean.
          set(
            .runningMean,
            zip(normalization.mean, carrier.bias ?? normalization.mean.map { _ in 0 }).map { $0 - $1 })
          // A graph's epsilon other than the model's moves into the variance: σ² + ε stays the same.
          let shift = normalization.epsilon - Float(configuration.batchNormEpsilon)
          set(.runningVariance, normalization.variance.map { $0 + shift })
        } else {
          let epsilon = Float(configuration.batchNormEpsilon)
          set(.batchNormWeight, [Float](repeating: 1, count: channels))
          set(.batchNormBias, carrier.bias ?? [Float](repeating: 0, count: channels))
          set(.runningMean, [Float](repeating: 0, count: channels))
          set(.runningVariance, [Float](repeating: 1 - epsilon, count: channels))
        }
      }
    }
    if let extra = carriers.first {
      throw ONNXImportError.unmapped(
        source, node: extra.node,
        reason:
          "a \(extra.operation) with weight \(extra.weightShape) after \(configuration.name)'s last layer")
    }
    do {
      return try EfficientNet(architecture: architecture, tensors: tensors, source: source)
    } catch {
      throw ONNXImportError.unreadable(source, reason: "\(error)")
    }
  }

  /// The `metadata_props` of the ONNX model in `data` (ours carry `model`, `class_names`, …); empty
  /// when it has none or is not an ONNX model.
  public static func metadata(of data: Data) -> [String: String] {
    (try? ONNXModelFile(data: data, source: ""))?.metadata ?? [:]
  }

  /// The architecture our export stored in `metadata` (`architecture.*`), nil when absent.
  public static func configuration(fromMetadata metadata: [String: String]) -> Configuration? {
    let prefix = "architecture."
    let fields = Dictionary(
      uniqueKeysWithValues: metadata.filter { $0.key.hasPrefix(prefix) }.map {
        (String($0.key.dropFirst(prefix.count)), $0.value)
      })
    return Configuration(architectureMetadata: fields)
  }

  static func moduleName(_ layout: NetworkLayout, _ layer: NetworkLayer) -> String {
    layout.names(of: layer.identity, in: .timm).module
  }
}

/// An ONNX file parsed once: its metadata, and its graph for ``ONNXImport/network(from:configuration:)``.
public struct ONNXModelFile {
  let model: Onnx_ModelProto
  /// The file as messages name it.
  public let source: String
  /// Its `metadata_props` (ours carry `model`, `class_names`, `architecture.*`, …).
  public let metadata: [String: String]

  /// Parses `data`, an ONNX model, named `source` in errors.
  ///
  /// - Throws: ``ONNXImportError/unreadable(_:reason:)`` when it is not one.
  public init(data: Data, source: String) throws {
    do {
      model = try Onnx_ModelProto(serializedBytes: data)
    } catch {
      throw ONNXImportError.unreadable(source, reason: "not an ONNX model (\(error))")
    }
    self.source = source
    metadata = Dictionary(model.metadataProps.map { ($0.key, $0.value) }) { first, _ in first }
  }
}

/// Why an ONNX graph could not be imported.
public enum ONNXImportError: Error, Equatable, CustomStringConvertible {
  /// The file is not a readable ONNX model, or its weights are not usable (the file, why).
  case unreadable(String, reason: String)
  /// A node that no layer of the model fits (the file, the node's name, why).
  case unmapped(String, node: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let source, let reason): return "\(source): \(reason)"
    case .unmapped(let source, let node, let reason): return "\(source): node \(node) does not map: \(reason)"
    }
  }
}
