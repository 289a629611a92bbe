import ArgumentParser
import EfficientNetCUDA
import EfficientNetCore
import EfficientNetDetection
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels
import EfficientNetTraining
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `efficientnet bench`: times inference or full training steps of a randomly initialized model.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time inference (or training steps) of a model with random weights on random inputs.",
    discussion: """
      Builds the model with random weights, runs --warmup untimed passes, then times passes until at least \
      --iterations have run and --seconds have passed (at most \(BenchCommand.iterationCap) unless \
      --iterations asks for more). Reports the median, 10th and 90th percentile latency, images per \
      second (batch / median) and the process's peak resident memory. Inference evaluates an NHWC batch \
      with the same engine as `efficientnet run`; --train times forward, backward and one RMSProp (TF) \
      update per step.
      """)

  /// The most timed iterations unless --iterations asks for more.
  static let iterationCap = 10_000

  @OptionGroup var variant: ModelVariantOptions

  @OptionGroup var computeDevice: DeviceOptions

  @Option(name: .long, help: "Images per batch.")
  var batch: Int = 1

  @Option(name: .long, help: "Input height and width (default: the model's resolution).")
  var resolution: Int?

  @Option(name: .long, help: "Threads to use (default: EFFICIENTNET_THREADS or all cores).")
  var threads: Int?

  @Flag(name: .long, help: "Time full training steps (forward, backward, RMSProp update).")
  var train = false

  @Flag(name: .long, help: "Print one JSON object instead of text.")
  var json = false

  /// Profiled passes whose per-layer median the inference profile reports.
  static let profilePasses = 15
  /// Profiled training steps whose per-call median `--train --profile` reports.
  static let trainingProfileSteps = 3

  @Flag(
    name: .long,
    help:
      "Also break a pass down by operation kind and layer, each time the median of 15 passes (with --train: the step's phases, then its forward and backward kernels over 3 steps; text, on stderr with --json)."
  )
  var profile = false

  @Option(name: .long, help: "Time at least this many iterations.")
  var iterations: Int = 20

  @Option(name: .long, help: "Untimed iterations first (default: 3 for inference, 2 for training).")
  var warmup: Int?

  @Option(name: .long, help: "Keep timing until at least this many seconds have passed.")
  var seconds: Double = 3

  func validate() throws {
    try FlagLimits.check(batch, in: FlagLimits.batch, "--batch")
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    try FlagLimits.check(resolution, in: FlagLimits.resolution, "--resolution")
    try FlagLimits.check(iterations, in: FlagLimits.iterations, "--iterations")
    try FlagLimits.check(warmup, in: 0...FlagLimits.iterations.upperBound, "--warmup")
    try FlagLimits.check(seconds, in: 0...86_400, "--seconds")
  }

  func run() throws {
    // Inference of a classifier runs on the CUDA engine when a GPU is chosen; training and detectors
    // run on the CPU only so far.
    var gpu: CUDADevice?
    if train || DetectorRegistry.isDetector(variant.model) {
      try computeDevice.requireCPUEngine()
    } else {
      gpu = try computeDevice.gpu()
    }
    if DetectorRegistry.isDetector(variant.model) { return try runDetector(variant.model) }
    if let threads { ComputePool.shared.threadCount = threads }
    let configuration = try variant.configuration()
    let size = resolution ?? configuration.resolution
    let architecture = try configuration.resolve()
    try MachineMemory.require(architecture, batch: batch, side: size, training: train)
    let network = EfficientNet(architecture: architecture, seed: 1)
    var generator = SeededGenerator(seed: 2)
    let shape = [batch, size, size, configuration.inputChannels]
    let images = Tensor(
      shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.nextNormal() })
    let timing = IterationTiming(
      warmup: warmup ?? (train ? 2 : 3), minimumIterations: iterations, minimumSeconds: seconds,
      maximumIterations: max(iterations, BenchCommand.iterationCap))
    let forwardMultiplyAccumulates = architecture.cost(height: size, width: size).multiplyAccumulates * batch
    var result: BenchResult
    var profileText: String?
    if train {
      let labels = (0..<batch).map { _ in Int.random(in: 0..<configuration.classCount, using: &generator) }
      (result, profileText) = try benchTraining(
        network, images: images, labels: labels, timing: timing, generator: &generator)
      // Forward plus a backward of about twice its cost: the usual estimate of a training step's work.
      result.floatingPointOperations = 6 * Double(forwardMultiplyAccumulates)
    } else if let gpu {
      // Each iteration: upload, every kernel, synchronize, download of logits and pooled features.
      let engine = try computeDevice.engine(for: network, on: gpu)
      FileHandle.standardError.write(Data("running on \(try gpu.summary())\n".utf8))
      result = BenchResult(times: try timing.run { _ in _ = try engine.evaluate(images) })
      result.floatingPointOperations = 2 * Double(forwardMultiplyAccumulates)
    } else {
      let engine = InferenceEngine(model: network)
      let times = try timing.run { _ in _ = try engine.evaluate(images) }
      result = BenchResult(times: times)
      result.floatingPointOperations = 2 * Double(forwardMultiplyAccumulates)
      if profile {
        let passes = try (0..<BenchCommand.profilePasses).compactMap { _ in
          try engine.evaluate(images, profiling: true).profile
        }
        if let layers = LayerProfile.median(of: passes) { profileText = ProfileReport.text(layers) }
      }
    }
    result.peakResidentBytes = peakResidentBytes()
    let description = RunDescription(
      model: configuration.name, batch: batch, resolution: size, threads: ComputePool.shared.threadCount,
      mode: train ? "train" : "inference", warmup: timing.warmup)
    if json {
      print(try result.json(description))
      if let profileText { FileHandle.standardError.write(Data(profileText.utf8)) }
    } else {
      print(result.text(description), terminator: "")
      if let profileText { print(profileText, terminator: "") }
    }
  }

  /// Times full training steps; with `--profile`, also the split between their phases.
  private func benchTraining(
    _ network: EfficientNet, images: Tensor, labels: [Int], timing: IterationTiming,
    generator: inout SeededGenerator
  ) throws -> (BenchResult, String?) {
    let graph = TrainingGraph(model: network)
    graph.labelSmoothing = 0.1
    let store = graph.parameters
    // The same parameter list the Trainer builds: trainable tensors, wrapped in place.
    let parameters = store.specs.filter { $0.role.isTrainable }.compactMap { spec -> TrainableParameter? in
      guard let values = store.values[spec.name], let gradients = store.gradients[spec.name] else {
        return nil
      }
      return TrainableParameter(
        name: spec.name, shape: spec.shape, valueBuffer: values.buffer, gradientBuffer: gradients.buffer,
        owner: store)
    }
    var optimizer = RMSPropTF(decay: 0.9, momentum: 0.9, epsilon: 1e-3, weightDecay: 1e-5)
    // timm's RMSProp recipe scales 0.016 per 256 images; the rate does not change the time taken.
    let learningRate = Float(0.016 * Double(batch) / 256)
    var phases: [[Double]] = [[], [], []]
    var lastLoss = 0.0
    let times = try timing.run { timed in
      let started = DispatchTime.now().uptimeNanoseconds
      store.zeroGradients()
      let zeroed = DispatchTime.now().uptimeNanoseconds
      lastLoss = try graph.step(images: images, labels: labels, generator: &generator).loss
      let stepped = DispatchTime.now().uptimeNanoseconds
      optimizer.step(parameters, learningRate: learningRate)
      let updated = DispatchTime.now().uptimeNanoseconds
      if timed {
        phases[0].append(Double(zeroed - started) / 1e6)
        phases[1].append(Double(stepped - zeroed) / 1e6)
        phases[2].append(Double(updated - stepped) / 1e6)
      }
    }
    var result = BenchResult(times: times)
    result.loss = lastLoss
    guard profile else { return (result, nil) }
    // Layer by layer: a few more steps with every kernel call timed, per-call medians.
    graph.profiling = true
    var profiles: [LayerProfile] = []
    for _ in 0..<BenchCommand.trainingProfileSteps {
      store.zeroGradients()
      _ = try graph.step(images: images, labels: labels, generator: &generator)
      optimizer.step(parameters, learningRate: learningRate)
      if let profile = graph.lastProfile { profiles.append(profile) }
    }
    graph.profiling = false
    let medians = phases.map { percentile($0, 0.5) }
    let total = max(medians.reduce(0, +), .leastNonzeroMagnitude)
    let names = ["zero gradients", "forward + backward", "optimizer (RMSProp TF)"]
    var lines = ["training step by phase (medians; forward and backward are one TrainingGraph.step call):"]
    for (name, median) in zip(names, medians) {
      lines.append(
        "  " + name.padding(toLength: 26, withPad: " ", startingAt: 0)
          + String(format: "%9.3f ms %6.1f%%", median, 100 * median / total))
    }
    lines.append(
      String(format: "  parameters updated: %d tensors, %d values", parameters.count, network.parameterCount))
    var text = lines.joined(separator: "\n") + "\n"
    if let layers = LayerProfile.median(of: profiles) {
      text += "forward and backward, kernel by kernel (\"forward\"/\"backward\" in each kind):\n"
      text += ProfileReport.text(layers)
    }
    return (result, text)
  }
}

/// How many iterations to run untimed, and when to stop timing.
struct IterationTiming {
  var warmup: Int
  var minimumIterations: Int
  var minimumSeconds: Double
  var maximumIterations: Int

  /// Runs `body(false)` `warmup` times, then `body(true)` until both minimums are met (or the cap);
  /// returns each timed call's milliseconds.
  func run(_ body: (_ timed: Bool) throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmup { try body(false) }
    var times: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    while times.count < maximumIterations && (times.count < minimumIterations || elapsed < minimumSeconds) {
      let started = DispatchTime.now().uptimeNanoseconds
      try body(true)
      let finished = DispatchTime.now().uptimeNanoseconds
      times.append(Double(finished - started) / 1e6)
      elapsed = Double(finished - start) / 1e9
    }
    return times
  }
}

/// What a benchmark run was: model, shape, threads and mode.
struct RunDescription {
  var model: String
  var batch: Int
  var resolution: Int
  var threads: Int
  var mode: String
  var warmup: Int
}

/// Latency statistics of one benchmark run.
struct BenchResult {
  /// Milliseconds of every timed iteration, in order.
  var times: [Double]
  /// Floating-point operations of one iteration (for achieved GFLOP/s).
  var floatingPointOperations = 0.0
  /// The process's peak resident set size in bytes.
  var peakResidentBytes = 0
  /// The last training step's loss (training only).
  var loss: Double?

  /// The median, 10th and 90th percentile of ``times``.
  var medianMilliseconds: Double { percentile(times, 0.5) }
  var p10Milliseconds: Double { percentile(times, 0.1) }
  var p90Milliseconds: Double { percentile(times, 0.9) }

  /// Images per second at the median latency.
  func imagesPerSecond(batch: Int) -> Double {
    medianMilliseconds > 0 ? Double(batch) * 1000 / medianMilliseconds : 0
  }

  /// Achieved GFLOP/s at the median latency.
  var gigaflopsPerSecond: Double {
    medianMilliseconds > 0 ? floatingPointOperations / (medianMilliseconds / 1000) / 1e9 : 0
  }

  /// One JSON object (sorted keys): the run's description, latency statistics and peak memory.
  func json(_ run: RunDescription) throws -> String {
    var object: [String: Any] = [
      "model": run.model, "batch": run.batch, "resolution": run.resolution, "threads": run.threads,
      "mode": run.mode, "iterations": times.count, "warmup": run.warmup, "median_ms": medianMilliseconds,
      "p10_ms": p10Milliseconds, "p90_ms": p90Milliseconds, "min_ms": times.min() ?? 0,
      "mean_ms": times.reduce(0, +) / Double(times.count),
      "images_per_second": imagesPerSecond(batch: run.batch), "peak_rss_bytes": peakResidentBytes,
      "gflop_per_iteration": floatingPointOperations / 1e9, "achieved_gflops": gigaflopsPerSecond,
    ]
    if let loss { object["loss"] = loss.isFinite ? loss : -1 }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// Two lines for people: latency statistics, then throughput and peak memory.
  func text(_ run: RunDescription) -> String {
    let mode = run.mode == "train" ? "training step" : "inference"
    return "\(run.model) \(mode), batch \(run.batch), \(run.resolution)x\(run.resolution), "
      + "\(run.threads) threads: median \(String(format: "%.3f", medianMilliseconds)) ms "
      + "(p10 \(String(format: "%.3f", p10Milliseconds)), p90 \(String(format: "%.3f", p90Milliseconds))) "
      + "over \(times.count) iterations after \(run.warmup) warm-up\n"
      + String(
        format: "%.1f images/s, %.1f GFLOP/s achieved (%.3f GFLOP per iteration%@), peak RSS %.1f MB\n",
        imagesPerSecond(batch: run.batch), gigaflopsPerSecond, floatingPointOperations / 1e9,
        run.mode == "train" ? ", estimated as 3x forward" : "", Double(peakResidentBytes) / 1e6)
  }
}

/// The `fraction` percentile of `values` by linear interpolation between the nearest ranks.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
  guard !values.isEmpty else { return 0 }
  let sorted = values.sorted()
  let position = fraction * Double(sorted.count - 1)
  let lower = Int(position.rounded(.down))
  let upper = min(lower + 1, sorted.count - 1)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
}

/// The process's peak resident set size in bytes (0 when the system does not say).
func peakResidentBytes() -> Int {
  #if os(Linux)
    // VmHWM is the kernel's high-water mark of resident memory, as getrusage's ru_maxrss.
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = line.split(separator: " ").compactMap({ Int($0) }).first
    {
      return kilobytes * 1024
    }
  #endif
  var usage = rusage()
  #if os(Linux)
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
  #else
    guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss)  // bytes on macOS
  #endif
}
