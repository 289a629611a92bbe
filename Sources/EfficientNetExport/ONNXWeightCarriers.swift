import Foundation
import ONNXSchema

/// The constant float tensors of an ONNX graph by value name: initializers, `Constant` nodes, and
/// `Identity` nodes over either (torch.onnx shares repeated tensors that way).
struct ONNXValues {
  private var tensors: [String: (shape: [Int], values: [Float])] = [:]
  private var aliases: [String: String] = [:]

  /// Limits on what one tensor may hold (a hostile file never allocates more than it carries).
  static let maximumElements = 1 << 28

  init(graph: Onnx_GraphProto, source: String) throws {
    for initializer in graph.initializer {
      tensors[initializer.name] = try Self.floats(initializer, source: source)
    }
    for node in graph.node {
      if node.opType == "Constant", let output = node.output.first,
        let attribute = node.attribute.first(where: { $0.name == "value" }), attribute.hasT,
        attribute.t.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue)
      {
        tensors[output] = try Self.floats(attribute.t, source: source)
      } else if node.opType == "Identity", let input = node.input.first, let output = node.output.first {
        aliases[output] = input
      }
    }
  }

  /// The tensor `name` names (through `Identity` nodes), if it is a float constant.
  func tensor(_ name: String) -> (shape: [Int], values: [Float])? {
    var current = name
    var steps = 0
    while let next = aliases[current], steps < 1000 {
      current = next
      steps += 1
    }
    return tensors[current]
  }

  /// A float32 tensor's shape and values (raw little-endian data or `float_data`); other types are
  /// skipped by the caller (nil shape never reaches a layer).
  static func floats(_ tensor: Onnx_TensorProto, source: String) throws -> (shape: [Int], values: [Float]) {
    let shape = tensor.dims.map { Int(clamping: $0) }
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw ONNXImportError.unreadable(
        source, reason: "tensor \(tensor.name) has a negative dimension \(shape)")
    }
    let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
    guard count <= maximumElements else {
      throw ONNXImportError.unreadable(
        source, reason: "tensor \(tensor.name) has \(count) elements, over the limit")
    }
    guard tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else { return (shape, []) }
    if tensor.dataLocation == .external {
      throw ONNXImportError.unreadable(
        source,
        reason:
          "tensor \(tensor.name) keeps its data in an external file; save the model with its data inside")
    }
    let values: [Float]
    if tensor.hasRawData {
      guard tensor.rawData.count == count * 4 else {
        throw ONNXImportError.unreadable(
          source, reason: "tensor \(tensor.name): \(tensor.rawData.count) bytes for \(count) floats")
      }
      values = tensor.rawData.withUnsafeBytes { raw in
        (0..<count).map {
          Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
      }
    } else {
      guard tensor.floatData.count == count else {
        throw ONNXImportError.unreadable(
          source, reason: "tensor \(tensor.name): \(tensor.floatData.count) values for shape \(shape)")
      }
      values = tensor.floatData
    }
    return (shape, values)
  }
}

/// A node that carries weights, in graph order: a `Conv` (with the `BatchNormalization` that reads
/// its output, if any) or a `Gemm`.
struct WeightCarrier {
  /// The node's name (its first output's when it has none).
  var node: String
  /// `Conv` or `Gemm`.
  var operation: String
  var weightShape: [Int]
  var weights: [Float]
  var bias: [Float]?
  var normalization: (scale: [Float], shift: [Float], mean: [Float], variance: [Float], epsilon: Float)?

  /// The graph's weight carriers in order.
  ///
  /// - Throws: ``ONNXImportError/unmapped(_:node:reason:)`` for a weighted node whose weights are not
  ///   constants, or a `MatMul` (a classifier written without `Gemm`).
  static func collect(_ graph: Onnx_GraphProto, values: ONNXValues, source: String) throws -> [WeightCarrier]
  {
    var carriers: [WeightCarrier] = []
    var convolutionByOutput: [String: Int] = [:]
    for node in graph.node {
      let name = node.name.isEmpty ? (node.output.first ?? "?") : node.name
      func constant(_ index: Int, _ what: String) throws -> (shape: [Int], values: [Float]) {
        guard index < node.input.count, let tensor = values.tensor(node.input[index]), !tensor.values.isEmpty
        else {
          throw ONNXImportError.unmapped(source, node: name, reason: "its \(what) is not a float constant")
        }
        return tensor
      }
      switch node.opType {
      case "Conv":
        let weight = try constant(1, "weight")
        let bias = node.input.count > 2 && !node.input[2].isEmpty ? try constant(2, "bias").values : nil
        convolutionByOutput[node.output.first ?? ""] = carriers.count
        carriers.append(
          WeightCarrier(
            node: name, operation: "Conv", weightShape: weight.shape, weights: weight.values, bias: bias))
      case "BatchNormalization":
        guard let index = node.input.first.flatMap({ convolutionByOutput[$0] }),
          carriers[index].normalization == nil
        else {
          throw ONNXImportError.unmapped(
            source, node: name, reason: "a batch norm that does not follow a Conv")
        }
        carriers[index].normalization = (
          try constant(1, "scale").values, try constant(2, "bias").values, try constant(3, "mean").values,
          try constant(4, "variance").values, node.attribute.first { $0.name == "epsilon" }?.f ?? 1e-5
        )
      case "Gemm":
        var weight = try constant(1, "weight")
        let transposed = node.attribute.first { $0.name == "transB" }?.i == 1
        if !transposed, weight.shape.count == 2 {
          // [in, out] to [out, in].
          let (rows, columns) = (weight.shape[0], weight.shape[1])
          let values = weight.values
          weight = (
            [columns, rows], (0..<(rows * columns)).map { values[($0 % rows) * columns + $0 / rows] }
          )
        }
        let bias = node.input.count > 2 ? try constant(2, "bias").values : nil
        carriers.append(
          WeightCarrier(
            node: name, operation: "Gemm", weightShape: weight.shape, weights: weight.values, bias: bias))
      case "MatMul":
        throw ONNXImportError.unmapped(
          source, node: name, reason: "a MatMul classifier (export it as Gemm: torch.onnx does by default)")
      default:
        continue
      }
    }
    return carriers
  }
}
