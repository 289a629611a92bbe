import EfficientNetModels
import Foundation
import ONNXSchema

/// Collects the nodes and initializers of an ONNX graph in the order they are added, naming every
/// value, so an exporter writes the network as a sequence of plain operator calls.
struct ONNXGraphBuilder {
  private(set) var nodes: [Onnx_NodeProto] = []
  private(set) var initializers: [Onnx_TensorProto] = []
  private var usedNames: Set<String> = []
  private var nodeCount = 0
  /// ReLU6's bounds, one pair of initializers for every `Clip`.
  private var clipBounds: (low: String, high: String)?

  /// `x` through an activation: SiLU as `Sigmoid` and `Mul`, ReLU6 as `Clip` to [0, 6], ReLU.
  mutating func activation(_ kind: ActivationKind, _ x: String, name: String) -> String {
    switch kind {
    case .silu:
      let gate = node("Sigmoid", [x], output: name + ".gate")
      return node("Mul", [x, gate], output: name + ".silu")
    case .relu6:
      let bounds =
        clipBounds ?? (
          constant("relu6.min", shape: [], values: [0]), constant("relu6.max", shape: [], values: [6])
        )
      clipBounds = bounds
      return node("Clip", [x, bounds.low, bounds.high], output: name + ".relu6")
    case .relu:
      return node("Relu", [x], output: name + ".relu")
    }
  }

  /// A float32 initializer `name` of `shape` holding `values` (little-endian raw data).
  @discardableResult
  mutating func constant(_ name: String, shape: [Int], values: [Float]) -> String {
    precondition(shape.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(shape)")
    var tensor = Onnx_TensorProto()
    tensor.name = unique(name)
    tensor.dims = shape.map(Int64.init)
    tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    // ONNX's raw data is little-endian, as every platform this package builds for is.
    tensor.rawData = values.withUnsafeBytes { Data($0) }
    initializers.append(tensor)
    return tensor.name
  }

  /// An int64 initializer (shapes, axes).
  @discardableResult
  mutating func integerConstant(_ name: String, values: [Int64]) -> String {
    var tensor = Onnx_TensorProto()
    tensor.name = unique(name)
    tensor.dims = [Int64(values.count)]
    tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    tensor.int64Data = values
    initializers.append(tensor)
    return tensor.name
  }

  /// Adds a node of `operation` reading `inputs`; returns its output's name (`output`, made unique).
  @discardableResult
  mutating func node(
    _ operation: String, _ inputs: [String], output: String, attributes: [Onnx_AttributeProto] = []
  ) -> String {
    var node = Onnx_NodeProto()
    node.opType = operation
    node.input = inputs
    let name = unique(output)
    node.output = [name]
    nodeCount += 1
    node.name = "\(operation)_\(nodeCount)"
    node.attribute = attributes
    nodes.append(node)
    return name
  }

  /// Adds a node with several outputs (`outputs`, each made unique); returns their names.
  mutating func node(
    _ operation: String, _ inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = []
  ) -> [String] {
    var node = Onnx_NodeProto()
    node.opType = operation
    node.input = inputs
    node.output = outputs.map { unique($0) }
    nodeCount += 1
    node.name = "\(operation)_\(nodeCount)"
    node.attribute = attributes
    nodes.append(node)
    return node.output
  }

  /// `name` itself the first time, then `name_1`, `name_2`, …
  private mutating func unique(_ name: String) -> String {
    var candidate = name
    var suffix = 0
    while usedNames.contains(candidate) {
      suffix += 1
      candidate = "\(name)_\(suffix)"
    }
    usedNames.insert(candidate)
    return candidate
  }
}

/// ONNX attribute values.
enum ONNXAttribute {
  /// An integer attribute.
  static func integer(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .int
    attribute.i = Int64(value)
    return attribute
  }

  /// A list-of-integers attribute.
  static func integers(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .ints
    attribute.ints = values.map(Int64.init)
    return attribute
  }

  /// A float attribute.
  static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .float
    attribute.f = value
    return attribute
  }

  /// A string attribute.
  static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .string
    attribute.s = Data(value.utf8)
    return attribute
  }
}
