/// Everything an optimizer (or the weight EMA) needs to continue bit for bit after a restart: its kind,
/// hyperparameters, step counters and per-parameter buffers.
///
/// Checkpoints store it as flat float tensors plus string metadata (safetensors' two halves) through
/// ``tensors(prefix:)`` and ``metadata(prefix:)``, and read it back with
/// ``init(tensors:metadata:prefix:)``. Tensor names are `<prefix><buffer>.<parameter name>`, for
/// example `optimizer.momentum.blocks.0.0.conv_dw.weight`; buffer kinds never contain a dot.
public struct OptimizerState: Equatable, Sendable {
  /// Which algorithm wrote the state: `SGD`, `RMSPropTF`, `AdamW` or `ExponentialMovingAverage`.
  public var kind: String
  /// How many steps (or EMA updates) have been taken.
  public var stepCount: Int
  /// Hyperparameters by name, as exact (round-trip) decimal text; kept for the record and for
  /// ``makeOptimizer(parameters:)``.
  public var hyperparameters: [String: String]
  /// Per-parameter buffers: buffer kind (`momentum`, `square_average`, …) → parameter name → flat values.
  public var buffers: [String: [String: [Float]]]
  /// Per-parameter step counts, for algorithms whose update depends on them (AdamW's bias correction).
  public var parameterSteps: [String: Int]

  /// Creates a state from its parts.
  public init(
    kind: String, stepCount: Int, hyperparameters: [String: String] = [:],
    buffers: [String: [String: [Float]]] = [:], parameterSteps: [String: Int] = [:]
  ) {
    for bufferKind in buffers.keys {
      precondition(!bufferKind.contains("."), "buffer kind \(bufferKind) must not contain a dot")
    }
    self.kind = kind
    self.stepCount = stepCount
    self.hyperparameters = hyperparameters
    self.buffers = buffers
    self.parameterSteps = parameterSteps
  }

  /// The buffers as flat tensors named `<prefix><buffer kind>.<parameter name>`.
  public func tensors(prefix: String = "optimizer.") -> [String: [Float]] {
    var result: [String: [Float]] = [:]
    for (bufferKind, byParameter) in buffers {
      for (parameter, values) in byParameter {
        result[prefix + bufferKind + "." + parameter] = values
      }
    }
    return result
  }

  /// Kind, step counts and hyperparameters as string metadata: `<prefix>kind`, `<prefix>step`,
  /// `<prefix>hyperparameter.<name>` and `<prefix>parameter_step.<parameter name>`.
  public func metadata(prefix: String = "optimizer.") -> [String: String] {
    var result = [prefix + "kind": kind, prefix + "step": String(stepCount)]
    for (name, value) in hyperparameters {
      result[prefix + "hyperparameter." + name] = value
    }
    for (parameter, steps) in parameterSteps {
      result[prefix + "parameter_step." + parameter] = String(steps)
    }
    return result
  }

  /// Reads a state back from checkpoint tensors and metadata; entries without `prefix` are ignored.
  ///
  /// - Throws: ``OptimizationError/missingMetadata(key:)`` when `<prefix>kind` or `<prefix>step` is
  ///   absent, ``OptimizationError/invalidMetadata(key:value:)`` when a count does not parse, and
  ///   ``OptimizationError/invalidTensorName(_:)`` for a prefixed tensor name without a buffer kind.
  public init(tensors: [String: [Float]], metadata: [String: String], prefix: String = "optimizer.") throws {
    try self.init(tensors: tensors, tensorPrefix: prefix, metadata: metadata, metadataPrefix: prefix)
  }

  /// Reads a state back when tensor names and metadata keys carry different prefixes (for example
  /// tensors already stripped of theirs by a checkpoint reader: `tensorPrefix: ""`).
  ///
  /// - Throws: as ``init(tensors:metadata:prefix:)``.
  public init(
    tensors: [String: [Float]], tensorPrefix: String, metadata: [String: String], metadataPrefix: String
  ) throws {
    let prefix = metadataPrefix
    guard let kind = metadata[prefix + "kind"] else {
      throw OptimizationError.missingMetadata(key: prefix + "kind")
    }
    guard let stepText = metadata[prefix + "step"] else {
      throw OptimizationError.missingMetadata(key: prefix + "step")
    }
    guard let stepCount = Int(stepText), stepCount >= 0 else {
      throw OptimizationError.invalidMetadata(key: prefix + "step", value: stepText)
    }
    var hyperparameters: [String: String] = [:]
    var parameterSteps: [String: Int] = [:]
    let hyperparameterPrefix = prefix + "hyperparameter."
    let parameterStepPrefix = prefix + "parameter_step."
    for (key, value) in metadata {
      if key.hasPrefix(hyperparameterPrefix) {
        hyperparameters[String(key.dropFirst(hyperparameterPrefix.count))] = value
      } else if key.hasPrefix(parameterStepPrefix) {
        guard let steps = Int(value), steps >= 0 else {
          throw OptimizationError.invalidMetadata(key: key, value: value)
        }
        parameterSteps[String(key.dropFirst(parameterStepPrefix.count))] = steps
      }
    }
    var buffers: [String: [String: [Float]]] = [:]
    for (name, values) in tensors where name.hasPrefix(tensorPrefix) {
      let rest = name.dropFirst(tensorPrefix.count)
      guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex,
        rest.index(after: dot) != rest.endIndex
      else {
        throw OptimizationError.invalidTensorName(name)
      }
      buffers[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] = values
    }
    self.init(
      kind: kind, stepCount: stepCount, hyperparameters: hyperparameters, buffers: buffers,
      parameterSteps: parameterSteps)
  }

  /// Checks that the state was written by `expectedKind`, holds only `allowedBuffers`, and that every
  /// buffer belongs to one of `parameters` and has its size.
  ///
  /// - Throws: ``OptimizationError`` naming the kind, buffer or parameter that does not fit.
  func validate(
    kind expectedKind: String, allowedBuffers: Set<String>, parameters: [TrainableParameter]
  ) throws {
    guard kind == expectedKind else {
      throw OptimizationError.kindMismatch(expected: expectedKind, found: kind)
    }
    var counts: [String: Int] = [:]
    for parameter in parameters { counts[parameter.name] = parameter.count }
    for (bufferKind, byParameter) in buffers {
      guard allowedBuffers.contains(bufferKind) else {
        throw OptimizationError.unexpectedBuffer(kind: expectedKind, buffer: bufferKind)
      }
      for (name, values) in byParameter {
        guard let count = counts[name] else {
          throw OptimizationError.unknownParameter(buffer: bufferKind, parameter: name)
        }
        guard values.count == count else {
          throw OptimizationError.sizeMismatch(
            buffer: bufferKind, parameter: name, expected: count, found: values.count)
        }
      }
    }
  }

  /// The hyperparameter `name` as a number, or `fallback` when the state does not record it.
  ///
  /// - Throws: ``OptimizationError/invalidMetadata(key:value:)`` when the text is not a number.
  func number(_ name: String, default fallback: Double) throws -> Double {
    guard let text = hyperparameters[name] else { return fallback }
    guard let value = Double(text) else {
      throw OptimizationError.invalidMetadata(key: "hyperparameter." + name, value: text)
    }
    return value
  }
}

/// What can be wrong with a stored optimizer or EMA state.
public enum OptimizationError: Error, Equatable, CustomStringConvertible {
  /// A required metadata entry is absent.
  case missingMetadata(key: String)
  /// A metadata entry does not parse (a count or a number).
  case invalidMetadata(key: String, value: String)
  /// A prefixed tensor name has no `<buffer kind>.<parameter>` part.
  case invalidTensorName(String)
  /// The state was written by another algorithm.
  case kindMismatch(expected: String, found: String)
  /// The state holds a buffer kind the algorithm does not use.
  case unexpectedBuffer(kind: String, buffer: String)
  /// The state holds a buffer for a parameter that is not being trained.
  case unknownParameter(buffer: String, parameter: String)
  /// A buffer's size differs from its parameter's.
  case sizeMismatch(buffer: String, parameter: String, expected: Int, found: Int)
  /// A parameter has one of an algorithm's buffers but not `buffer`.
  case missingBuffer(buffer: String, parameter: String)
  /// A parameter has buffers but no step count (AdamW needs one for bias correction).
  case missingParameterStep(parameter: String)

  /// A message naming the key, tensor or parameter at fault.
  public var description: String {
    switch self {
    case .missingMetadata(let key): return "optimizer state: metadata '\(key)' is missing"
    case .invalidMetadata(let key, let value):
      return "optimizer state: metadata '\(key)' = '\(value)' is invalid"
    case .invalidTensorName(let name):
      return "optimizer state: tensor '\(name)' is not named <buffer>.<parameter>"
    case .kindMismatch(let expected, let found):
      return "optimizer state was written by \(found), cannot restore it into \(expected)"
    case .unexpectedBuffer(let kind, let buffer): return "optimizer state: \(kind) has no buffer '\(buffer)'"
    case .unknownParameter(let buffer, let parameter):
      return "optimizer state: buffer '\(buffer)' names parameter '\(parameter)', which is not being trained"
    case .sizeMismatch(let buffer, let parameter, let expected, let found):
      return
        "optimizer state: buffer '\(buffer)' of '\(parameter)' has \(found) values, the parameter \(expected)"
    case .missingBuffer(let buffer, let parameter):
      return "optimizer state: parameter '\(parameter)' lacks its buffer '\(buffer)'"
    case .missingParameterStep(let parameter):
      return "optimizer state: parameter '\(parameter)' has buffers but no step count"
    }
  }
}
