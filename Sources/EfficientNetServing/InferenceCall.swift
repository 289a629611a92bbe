import EfficientNetCore
import Foundation

/// A validated Open Inference Protocol request for a classifier: its one NCHW input and the outputs
/// wanted, each as JSON or binary data; and the encoding of the answer.
public struct InferenceCall: Sendable {
  /// What the model accepts.
  public struct Limits: Sendable {
    /// The input tensor's name.
    public var inputName = "input"
    /// The input channels, `C`.
    public var channels: Int
    /// The most images in one request, `N`.
    public var maximumBatch: Int
    /// The accepted heights and widths.
    public var sides: ClosedRange<Int>
    /// The outputs the model gives.
    public var outputNames: [String]

    /// Limits for a model of `channels` input channels.
    public init(channels: Int, maximumBatch: Int, sides: ClosedRange<Int>, outputNames: [String]) {
      self.channels = channels
      self.maximumBatch = maximumBatch
      self.sides = sides
      self.outputNames = outputNames
    }
  }

  /// The request's identifier.
  public var id: String?
  /// The input, `[N, C, H, W]`.
  public var input: Tensor
  /// The outputs to send, in order, and whether each goes as binary data.
  public var outputs: [(name: String, binary: Bool)]

  /// Parses and checks a request body: the JSON part (all of `body`, or its first `headerLength`
  /// bytes when binary data follows) and the binary tensor data after it.
  ///
  /// - Throws: ``RequestError`` (400) naming the field at fault.
  public init(body: Data, headerLength: Int?, limits: Limits) throws {
    let jsonEnd: Int
    if let headerLength {
      guard (0...body.count).contains(headerLength) else {
        throw RequestError.badRequest(
          "\(InferenceProtocol.headerLengthField) is \(headerLength) but the body holds \(body.count) bytes")
      }
      jsonEnd = body.startIndex + headerLength
    } else {
      jsonEnd = body.endIndex
    }
    let request: InferenceProtocol.InferenceRequest
    do {
      request = try JSONDecoder().decode(
        InferenceProtocol.InferenceRequest.self, from: body[body.startIndex..<jsonEnd])
    } catch {
      throw RequestError.badRequest("request body is not a valid inference request: \(Self.describe(error))")
    }
    guard request.inputs.count == 1, let input = request.inputs.first else {
      throw RequestError.badRequest(
        "inputs: the model takes 1 tensor ('\(limits.inputName)'), got \(request.inputs.count)")
    }
    guard input.name == limits.inputName else {
      throw RequestError.badRequest(
        "inputs[0].name: the model's input is '\(limits.inputName)', got '\(input.name)'")
    }
    guard input.datatype == "FP32" else {
      throw RequestError.badRequest("inputs[0].datatype: FP32 expected, got \(input.datatype)")
    }
    let shape = input.shape
    let expected =
      "[N, \(limits.channels), H, W] with N in 1...\(limits.maximumBatch), H and W in \(limits.sides)"
    guard shape.count == 4, (1...limits.maximumBatch).contains(shape[0]), shape[1] == limits.channels,
      limits.sides.contains(shape[2]), limits.sides.contains(shape[3])
    else {
      throw RequestError.badRequest("inputs[0].shape: \(shape) is not \(expected)")
    }
    let count = shape.reduce(1, *)
    let values: [Float]
    if let size = input.parameters?.binaryDataSize {
      guard headerLength != nil else {
        throw RequestError.badRequest(
          "inputs[0].parameters.binary_data_size needs the \(InferenceProtocol.headerLengthField) header")
      }
      guard size == count * 4, body.endIndex - jsonEnd == size else {
        throw RequestError.badRequest(
          "inputs[0].parameters.binary_data_size: \(size) bytes given, \(body.endIndex - jsonEnd) follow the "
            + "JSON, and shape \(shape) needs \(count * 4)")
      }
      values = Self.littleEndianFloats(body[jsonEnd...], count: count)
    } else {
      guard let data = input.data?.values else {
        throw RequestError.badRequest("inputs[0].data: missing (and no binary_data_size)")
      }
      guard data.count == count else {
        throw RequestError.badRequest("inputs[0].data: \(data.count) values for shape \(shape) (\(count))")
      }
      values = data
    }
    guard values.allSatisfy(\.isFinite) else {
      throw RequestError.badRequest("inputs[0].data: holds a value that is not finite")
    }
    let allBinary = request.parameters?.binaryDataOutput ?? false
    var outputs: [(name: String, binary: Bool)] = []
    for (index, wanted) in (request.outputs ?? []).enumerated() {
      guard limits.outputNames.contains(wanted.name) else {
        throw RequestError.badRequest(
          "outputs[\(index)].name: '\(wanted.name)' is not one of \(limits.outputNames.joined(separator: ", "))"
        )
      }
      outputs.append((wanted.name, wanted.parameters?.binaryData ?? allBinary))
    }
    if request.outputs == nil { outputs = limits.outputNames.map { ($0, allBinary) } }
    id = request.id
    self.input = Tensor(shape: shape, values: values)
    self.outputs = outputs
  }

  /// The response for `tensors` (by output name): the body and, when any output is binary, the
  /// length of its JSON part for ``InferenceProtocol/headerLengthField``.
  public func response(modelName: String, tensors: [String: Tensor]) throws -> (
    body: Data, headerLength: Int?
  ) {
    var binary = Data()
    var described: [InferenceProtocol.ResponseOutput] = []
    for (name, asBinary) in outputs {
      guard let tensor = tensors[name] else { continue }
      if asBinary {
        let bytes = Self.littleEndianBytes(tensor.scalars)
        binary.append(bytes)
        described.append(
          .init(
            name: name, shape: tensor.shape, datatype: "FP32",
            parameters: .init(binaryDataSize: bytes.count), data: nil))
      } else {
        described.append(
          .init(name: name, shape: tensor.shape, datatype: "FP32", parameters: nil, data: tensor.scalars))
      }
    }
    let header = try ReportJSON.encode(
      InferenceProtocol.InferenceResponse(modelName: modelName, modelVersion: "1", id: id, outputs: described)
    )
    return binary.isEmpty ? (header, nil) : (header + binary, header.count)
  }

  static func littleEndianFloats(_ bytes: Data, count: Int) -> [Float] {
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { destination in
      bytes.withUnsafeBytes { source in
        destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<(count * 4)]))
      }
    }
    return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
  }

  static func littleEndianBytes(_ values: [Float]) -> Data {
    let words = values.map { $0.bitPattern.littleEndian }
    return words.withUnsafeBytes { Data($0) }
  }

  static func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
      let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
      return names.isEmpty ? "" : "\(names.hasPrefix(".") ? String(names.dropFirst()) : names): "
    }
    switch error {
    case .keyNotFound(let key, let context): return "\(path(context))missing field '\(key.stringValue)'"
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      return "\(path(context))\(context.debugDescription)"
    @unknown default: return "\(error)"
    }
  }
}
