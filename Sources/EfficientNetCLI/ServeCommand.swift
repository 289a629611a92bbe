import ArgumentParser
import EfficientNetDetection
import EfficientNetFiles
import EfficientNetKernels
import EfficientNetModels
import EfficientNetServer
import EfficientNetServing
import Foundation

/// `efficientnet serve`: classifiers and detectors behind HTTP with dynamic batching.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve classifiers and detectors over HTTP, with dynamic batching, health, metrics and limits.",
    discussion: """
      Each --model is served under its name; the n-th --weights goes with the n-th --model (without one, a classifier runs the shipped Lite0 or its published weights; a detector needs weights). With no --model, the shipped pretrained Lite0 is served as efficientnet_lite0.

      Routes: POST /v1/models/NAME/classify (raw JPEG/PNG/DICOM body, or multipart/form-data with several images; ?top=K) and /detect (?score_threshold=S) answer the JSON `classify --json` / `detect --json` print; the Open Inference Protocol v2: GET /v2/health/live, /v2/health/ready (503 until every model has loaded), GET /v2/models/NAME (metadata), POST /v2/models/NAME/infer (FP32 NCHW tensors as JSON or with the binary-data extension); GET /metrics (Prometheus). A full queue answers 503 with Retry-After; bodies over --max-body-mb get 413; with --token-file every route but health and metrics needs `Authorization: Bearer TOKEN`. SIGTERM or Ctrl-C stops accepting, answers what is in flight and exits 0.
      """)

  @Option(name: .long, help: "A model to serve, by name (repeat for several; default: efficientnet_lite0).")
  var model: [String] = []

  @Option(name: .long, help: "Weights for the --model at the same position (safetensors or PyTorch).")
  var weights: [String] = []

  @Option(name: .long, help: "The address to listen on (0.0.0.0 for every interface).")
  var host = "127.0.0.1"

  @Option(name: .long, help: "The TCP port (0 picks a free one).")
  var port = 8080

  @Option(name: .long, help: "The most images one run of a model takes.")
  var maxBatch = 8

  @Option(name: .long, help: "How long, in milliseconds, a batch's first request waits for others.")
  var maxDelayMs = 5.0

  @Option(
    name: .customLong("queue"), help: "The most requests waiting per model; more get 503 with Retry-After.")
  var queueLimit = 64

  @Option(name: .long, help: "The largest request body in MiB; larger ones get 413.")
  var maxBodyMb = 20.0

  @Option(name: .long, help: "Compute threads per run (default: all cores).")
  var threads: Int?

  @Option(
    name: .long, help: "A file holding the bearer token requests must carry (health and metrics stay open).")
  var tokenFile: String?

  @Flag(name: .long, help: "Log the server's lifecycle and connection events.")
  var verbose = false

  func validate() throws {
    try FlagLimits.check(port, in: 0...65_535, "--port")
    try FlagLimits.check(maxBatch, in: 1...256, "--max-batch")
    try FlagLimits.check(maxDelayMs, in: 0...10_000, "--max-delay-ms")
    try FlagLimits.check(queueLimit, in: 1...100_000, "--queue")
    try FlagLimits.check(maxBodyMb, in: 0.001...4_096, "--max-body-mb")
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    guard weights.count <= max(model.count, 1) else {
      throw ValidationError(
        "\(weights.count) --weights for \(model.count) --model; give one --model per --weights")
    }
    let names = model.isEmpty ? [PretrainedModels.defaultModelName] : model
    if let repeated = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw ValidationError("--model \(repeated) is given twice; each served model needs its own name")
    }
  }

  func run() throws {
    if let threads { ComputePool.shared.threadCount = threads }
    var options = ServerOptions()
    options.host = host
    options.port = port
    options.maximumBatch = maxBatch
    options.maximumDelay = .microseconds(Int((maxDelayMs * 1000).rounded()))
    options.queueLimit = queueLimit
    options.maximumBodyBytes = Int(maxBodyMb * 1_048_576)
    options.token = try tokenFile.map(Self.readToken)
    let names = model.isEmpty ? [PretrainedModels.defaultModelName] : model
    let specifications = try names.enumerated().map { index, name in
      try specification(name: name, weights: index < weights.count ? weights[index] : nil, options: options)
    }
    let server = InferenceServer(options: options, models: specifications)
    let host = host
    let listening = ListeningFlag()
    do {
      try Self.blocking {
        try await server.run(
          verbose: verbose,
          onListening: { port in
            listening.set()
            Self.say("serving \(names.joined(separator: ", ")) on http://\(host):\(port) (loading models)")
          },
          onReady: { if listening.isSet { Self.say("ready: every model has loaded") } })
      }
    } catch let error as RequestError {
      throw CommandError(error.message)
    }
    let metrics = server.metrics
    Self.say(
      "stopped: received \(metrics.receivedCount) requests and answered \(metrics.answeredCount), "
        + "those in flight at the stop included")
  }

  /// How to load one served model; weights files are checked to exist before the server starts.
  private func specification(name: String, weights: String?, options: ServerOptions) throws
    -> ModelSpecification
  {
    if let weights, case let kind = FileKind.of(weights) {
      if case .regularFile = kind {} else { throw ValidationError("--weights \(weights): \(kind.phrase)") }
    }
    let batching = (options.maximumBatch, options.maximumDelay, options.queueLimit)
    if DetectorRegistry.isDetector(name) {
      guard let weights else { throw ValidationError("--model \(name) is a detector; give its --weights") }
      let configuration = try DetectorRegistry.configuration(named: name)
      return ModelSpecification(name: name) { observer in
        let model = try EfficientDet.load(
          configuration: configuration, contentsOf: URL(fileURLWithPath: weights))
        return .detector(
          DetectionService(
            model: model, maximumBatch: batching.0, maximumDelay: batching.1, queueLimit: batching.2,
            observer: observer))
      }
    }
    _ = try ModelRegistry.configuration(named: name)
    return ModelSpecification(name: name) { observer in
      let loaded = try ModelLoading.resolve(model: name, weights: weights)
      let labels = ModelLoading.storedClassNames(
        in: weights, classCount: loaded.network.configuration.classCount)
      return .classifier(
        try ClassificationService(
          model: loaded.network, labels: labels, preprocessing: loaded.preprocessing,
          maximumBatch: batching.0,
          maximumDelay: batching.1, queueLimit: batching.2, observer: observer))
    }
  }

  /// The token in `path`: its text without surrounding white space, not empty.
  static func readToken(_ path: String) throws -> String {
    let text: String
    do {
      text = try RegularFile.text(of: URL(fileURLWithPath: path))
    } catch {
      throw CommandError("--token-file \(error)")
    }
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw CommandError("--token-file \(path): the file is empty") }
    return token
  }

  /// Runs async `work` from this synchronous command and waits for it.
  static func blocking(_ work: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let outcome = OutcomeBox()
    Task {
      do { try await work() } catch { outcome.error = error }
      done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
  }

  static func say(_ message: String) {
    FileHandle.standardError.write(Data("efficientnet serve: \(message)\n".utf8))
  }
}

/// Whether the server has started listening (set once, from the server's thread).
private final class ListeningFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false

  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}

/// The error of a finished task, written once before the waiting thread reads it.
private final class OutcomeBox: @unchecked Sendable {
  var error: (any Error)?
}
