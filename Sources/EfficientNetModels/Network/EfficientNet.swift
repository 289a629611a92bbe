import EfficientNetCore
import EfficientNetKernels

/// An EfficientNet: its resolved architecture and its named tensors (timm names, PyTorch layouts).
///
/// The tensors are the interchange form; ``makeInferenceEngine()`` folds batch norm and packs them
/// for the kernels.
public struct EfficientNet: Sendable {
  /// The resolved architecture.
  public let architecture: Architecture
  /// The typed layout: every layer with its shapes and names.
  public let layout: NetworkLayout
  /// The tensor specifications, in timm's state-dict order.
  public let specs: [ParameterSpec]
  /// The tensors by name; exactly the names of ``specs``.
  public private(set) var tensors: [String: Tensor]

  /// The configuration the model was built from.
  public var configuration: Configuration { architecture.configuration }

  /// Creates a model from named tensors, checking that they match the architecture exactly.
  ///
  /// `num_batches_tracked` entries (PyTorch bookkeeping) are ignored.
  /// - Throws: ``ModelError`` naming the first missing, unexpected, misshapen or non-finite tensor;
  ///   `source` (a file name, say) is named in the message.
  public init(architecture: Architecture, tensors: [String: Tensor], source: String = "weights") throws {
    self.architecture = architecture
    layout = architecture.layout
    specs = layout.parameterSpecs
    let expected = Set(specs.map(\.name))
    for name in tensors.keys.sorted() where !expected.contains(name) && !name.hasSuffix("num_batches_tracked")
    {
      throw ModelError.unexpectedTensor(name: name, shape: tensors[name]!.shape, source: source)
    }
    var kept: [String: Tensor] = [:]
    for spec in specs {
      guard let tensor = tensors[spec.name] else {
        throw ModelError.missingTensor(name: spec.name, expectedShape: spec.shape, source: source)
      }
      guard tensor.shape == spec.shape else {
        throw ModelError.shapeMismatch(
          name: spec.name, expected: spec.shape, found: tensor.shape, source: source)
      }
      let finite = tensor.withUnsafeBufferPointer { Elementwise.allFinite($0) }
      guard finite else { throw ModelError.nonFiniteValues(name: spec.name, source: source) }
      kept[spec.name] = tensor
    }
    self.tensors = kept
  }

  /// Creates a model with timm's initialization drawn from a seeded generator: convolutions
  /// N(0, √(2 / fan-out)), depthwise fan-out counted per group, linear U(±1/√fan-out), batch norm
  /// γ = 1, β = 0, running mean 0, running variance 1, biases 0.
  public init(architecture: Architecture, seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    var tensors: [String: Tensor] = [:]
    for spec in architecture.parameterSpecs() {
      var tensor = Tensor(zeros: spec.shape)
      switch spec.role {
      case .convolutionWeight:
        let groups = spec.layer.role == .depthwise ? spec.shape[0] : 1
        let fanOut = spec.shape[2] * spec.shape[3] * spec.shape[0] / groups
        let deviation = (2 / Float(fanOut)).squareRoot()
        tensor.withUnsafeMutableBufferPointer { buffer in
          for index in buffer.indices { buffer[index] = generator.nextNormal() * deviation }
        }
      case .linearWeight:
        let bound = 1 / Float(spec.shape[0]).squareRoot()
        tensor.withUnsafeMutableBufferPointer { buffer in
          for index in buffer.indices { buffer[index] = Float.random(in: -bound...bound, using: &generator) }
        }
      case .batchNormWeight, .runningVariance:
        tensor = Tensor(shape: spec.shape, repeating: 1)
      case .bias, .batchNormBias, .runningMean:
        break
      }
      tensors[spec.name] = tensor
    }
    // The names and shapes come from the architecture itself, so this cannot fail.
    try! self.init(architecture: architecture, tensors: tensors)
  }

  /// The total number of trainable parameters (running statistics excluded).
  public var parameterCount: Int {
    specs.filter { $0.role.isTrainable }.reduce(0) { $0 + $1.shape.reduce(1, *) }
  }

  /// The tensor `role` of `layer` (which the model has by construction).
  public func tensor(_ role: ParameterRole, of layer: NetworkLayer) -> Tensor {
    guard let tensor = tensors[layout.parameterName(role, of: layer.identity)] else {
      preconditionFailure("\(layer.identity) has no \(role) tensor")
    }
    return tensor
  }

  /// Replaces one tensor, keeping its shape.
  public mutating func setTensor(_ tensor: Tensor, named name: String) throws {
    guard let spec = specs.first(where: { $0.name == name }) else {
      throw ModelError.unexpectedTensor(name: name, shape: tensor.shape, source: "setTensor")
    }
    guard spec.shape == tensor.shape else {
      throw ModelError.shapeMismatch(
        name: name, expected: spec.shape, found: tensor.shape, source: "setTensor")
    }
    tensors[name] = tensor
  }
}
