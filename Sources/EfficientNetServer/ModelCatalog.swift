import EfficientNetServing
import Foundation
import Synchronization

/// A model the server answers for.
public enum ServedModel: Sendable {
  /// A classifier: `/v1/models/{name}/classify` and the Open Inference Protocol's `infer`.
  case classifier(ClassificationService)
  /// A detector: `/v1/models/{name}/detect`.
  case detector(DetectionService)

  /// Stops taking requests, answers every queued one and stops the model's thread.
  func drain() {
    switch self {
    case .classifier(let service): service.scheduler.drain()
    case .detector(let service): service.scheduler.drain()
    }
  }

  /// Requests waiting now.
  var queueDepth: Int {
    switch self {
    case .classifier(let service): service.scheduler.queueDepth
    case .detector(let service): service.scheduler.queueDepth
    }
  }
}

/// How to make one served model: its name on the server and the work of loading it.
public struct ModelSpecification: Sendable {
  /// The name requests use (`/v1/models/{name}/...`).
  public var name: String
  /// Loads the weights and builds the service; `observer` hears each run's batch size and time.
  public var load: @Sendable (_ observer: @escaping BatchObserver) throws -> ServedModel

  /// A model named `name`, made by `load`.
  public init(
    name: String,
    load: @escaping @Sendable (_ observer: @escaping BatchObserver) throws -> ServedModel
  ) {
    self.name = name
    self.load = load
  }
}

/// The served models by name, and which of them have loaded (the server is ready when all have).
public final class ModelCatalog: Sendable {
  /// The names, in the order they were given.
  public let names: [String]
  private let loaded: Mutex<[String: ServedModel]>

  /// A catalog of models still to load.
  public init(names: [String]) {
    self.names = names
    loaded = Mutex([:])
  }

  /// Whether every model has loaded.
  public var isReady: Bool { loaded.withLock { $0.count == names.count } }

  /// Records `model` as loaded under `name`.
  func add(_ model: ServedModel, named name: String) {
    loaded.withLock { $0[name] = model }
  }

  /// The model named `name`.
  ///
  /// - Throws: ``RequestError`` 404 for a name not served, 503 for one still loading.
  func model(named name: String) throws -> ServedModel {
    if let model = loaded.withLock({ $0[name] }) { return model }
    guard names.contains(name) else {
      throw RequestError(
        status: 404, "model '\(name)' is not served here; models: \(names.joined(separator: ", "))")
    }
    throw RequestError(status: 503, "model '\(name)' is still loading")
  }

  /// The loaded models with their names.
  var models: [(name: String, model: ServedModel)] {
    loaded.withLock { loaded in names.compactMap { name in loaded[name].map { (name, $0) } } }
  }
}
