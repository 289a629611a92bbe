import Foundation

/// The messages of the Open Inference Protocol, version 2 (KServe's and Triton's REST API), that
/// the server speaks: model metadata, inference requests and responses with JSON tensors or the
/// binary-data extension, and the error body.
public enum InferenceProtocol {
  /// The HTTP header that carries the JSON part's length when binary tensor data follows it.
  public static let headerLengthField = "Inference-Header-Content-Length"

  /// A tensor's name, element type and shape (`-1` for a dimension of any size).
  public struct TensorMetadata: Codable, Equatable, Sendable {
    /// The tensor's name.
    public var name: String
    /// The element type, `FP32` here.
    public var datatype: String
    /// The dimensions; `-1` where any size is accepted.
    public var shape: [Int]

    /// Metadata of an `FP32` tensor.
    public init(name: String, shape: [Int], datatype: String = "FP32") {
      self.name = name
      self.datatype = datatype
      self.shape = shape
    }
  }

  /// `GET /v2/models/{name}`: what the model takes and gives, and how images are prepared for it.
  public struct ModelMetadata: Codable, Equatable, Sendable {
    /// The model's name on this server.
    public var name: String
    /// The versions served (one: "1").
    public var versions: [String]
    /// What runs the model.
    public var platform: String
    /// The inputs.
    public var inputs: [TensorMetadata]
    /// The outputs.
    public var outputs: [TensorMetadata]
    /// Everything else a client needs, as strings and numbers: the architecture, the task, the
    /// preprocessing that turns an image into the input tensor, the class names.
    public var parameters: [String: ParameterValue]

    /// Metadata of model `name` (version "1").
    public init(
      name: String, versions: [String] = ["1"], platform: String, inputs: [TensorMetadata],
      outputs: [TensorMetadata],
      parameters: [String: ParameterValue]
    ) {
      self.name = name
      self.versions = versions
      self.platform = platform
      self.inputs = inputs
      self.outputs = outputs
      self.parameters = parameters
    }
  }

  /// A parameter's value: a string, a number, a flag or a list of them.
  public enum ParameterValue: Codable, Equatable, Sendable {
    case string(String), number(Double), bool(Bool), numbers([Double]), strings([String])

    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let value = try? container.decode(Bool.self) {
        self = .bool(value)
      } else if let value = try? container.decode(Double.self) {
        self = .number(value)
      } else if let value = try? container.decode(String.self) {
        self = .string(value)
      } else if let value = try? container.decode([Double].self) {
        self = .numbers(value)
      } else {
        self = .strings(try container.decode([String].self))
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .string(let value): try container.encode(value)
      case .number(let value): try container.encode(value)
      case .bool(let value): try container.encode(value)
      case .numbers(let value): try container.encode(value)
      case .strings(let value): try container.encode(value)
      }
    }
  }

  /// The per-tensor and per-request parameters of the binary-data extension.
  public struct Parameters: Codable, Equatable, Sendable {
    /// The bytes of this tensor's data after the JSON part.
    public var binaryDataSize: Int?
    /// On a requested output: send it as binary data.
    public var binaryData: Bool?
    /// On the request: send every output as binary data.
    public var binaryDataOutput: Bool?

    enum CodingKeys: String, CodingKey {
      case binaryDataSize = "binary_data_size", binaryData = "binary_data"
      case binaryDataOutput = "binary_data_output"
    }

    /// Parameters with the given fields.
    public init(binaryDataSize: Int? = nil, binaryData: Bool? = nil, binaryDataOutput: Bool? = nil) {
      self.binaryDataSize = binaryDataSize
      self.binaryData = binaryData
      self.binaryDataOutput = binaryDataOutput
    }
  }

  /// One input tensor of a request: its data inline as JSON numbers (flat or nested, row-major)
  /// or, with `binary_data_size`, after the JSON part.
  public struct RequestInput: Decodable, Sendable {
    /// The input's name.
    public var name: String
    /// The tensor's dimensions.
    public var shape: [Int]
    /// The element type.
    public var datatype: String
    /// Binary-data parameters.
    public var parameters: Parameters?
    /// The values inline, row-major, when sent as JSON.
    public var data: FlatNumbers?
  }

  /// An output a request asks for.
  public struct RequestOutput: Decodable, Sendable {
    /// The output's name.
    public var name: String
    /// Binary-data parameters.
    public var parameters: Parameters?
  }

  /// `POST /v2/models/{name}/infer`'s JSON part.
  public struct InferenceRequest: Decodable, Sendable {
    /// The client's request identifier, echoed in the response.
    public var id: String?
    /// Request parameters (`binary_data_output`).
    public var parameters: Parameters?
    /// The input tensors.
    public var inputs: [RequestInput]
    /// The outputs wanted (all when absent).
    public var outputs: [RequestOutput]?
  }

  /// One output tensor of a response.
  public struct ResponseOutput: Codable, Equatable, Sendable {
    /// The output's name.
    public var name: String
    /// Its dimensions.
    public var shape: [Int]
    /// Its element type, `FP32`.
    public var datatype: String
    /// `binary_data_size` when the values follow the JSON part.
    public var parameters: Parameters?
    /// The values, row-major, when sent as JSON.
    public var data: [Float]?
  }

  /// The response's JSON part.
  public struct InferenceResponse: Codable, Equatable, Sendable {
    /// The model that answered.
    public var modelName: String
    /// Its version.
    public var modelVersion: String
    /// The request's identifier, when it had one.
    public var id: String?
    /// The outputs.
    public var outputs: [ResponseOutput]

    enum CodingKeys: String, CodingKey {
      case modelName = "model_name", modelVersion = "model_version", id, outputs
    }
  }

  /// The body of every error answer: `{"error": "..."}`.
  public struct ErrorBody: Codable, Equatable, Sendable {
    /// What went wrong, naming the field, tensor, model or limit.
    public var error: String

    /// An error body saying `error`.
    public init(error: String) { self.error = error }
  }
}

/// Numbers decoded from a JSON array, flat or nested up to 8 levels, in row-major order.
public struct FlatNumbers: Decodable, Sendable {
  /// The numbers in the order they appear.
  public var values: [Float]

  /// The deepest nesting accepted.
  static let maximumDepth = 8

  public init(from decoder: any Decoder) throws {
    var values: [Float] = []
    var container = try decoder.unkeyedContainer()
    try Self.append(&container, depth: 1, into: &values)
    self.values = values
  }

  private static func append(
    _ container: inout any UnkeyedDecodingContainer, depth: Int, into values: inout [Float]
  )
    throws
  {
    while !container.isAtEnd {
      if let value = try? container.decode(Float.self) {
        values.append(value)
        continue
      }
      guard depth < maximumDepth else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "data nests deeper than \(maximumDepth) levels")
      }
      var nested = try container.nestedUnkeyedContainer()
      try append(&nested, depth: depth + 1, into: &values)
    }
  }
}
