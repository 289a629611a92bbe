import ArgumentParser
import EfficientNetCore
import EfficientNetDetection
import EfficientNetKernels
import EfficientNetModels
import Foundation
import WeightIO

/// `efficientnet run`: evaluates a tensor from a safetensors file and writes logits and features.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Evaluate an input tensor (NCHW safetensors) and write logits and multi-scale features.",
    discussion: """
      Reads the tensor named 'input' ([N, C, H, W], any N, H, W) from --input, evaluates the model in inference mode and writes 'logits' and 'features.0' ... 'features.4' (NCHW, float32) to --output. The number of classes and input channels come from the weights. For a detector (--model tf_efficientdet_d0, efficientdet-lite0, ...; weights in effdet's names), writes 'class_out.0' ... 'class_out.4' and 'box_out.0' ... 'box_out.4' (NCHW, P3 first) and 'detections' [N, 100, 6] (x1, y1, x2, y2, score, class), as effdet's model and DetBenchPredict return them.
      """)

  @OptionGroup var variant: ModelVariantOptions

  @OptionGroup var computeDevice: DeviceOptions

  @Option(name: .long, help: "Weights: safetensors with timm's names, or a PyTorch .pth/.pt.")
  var weights: String

  @Option(name: .long, help: "Safetensors file holding the tensor 'input' [N, C, H, W].")
  var input: String

  @Option(name: .long, help: "Where to write logits and features (safetensors).")
  var output: String

  @Option(name: .long, help: "Threads to use (default: all cores).")
  var threads: Int?

  @Option(
    name: .customLong("repeat"), help: "Evaluate this many times and report the median time.")
  var repetitions: Int = 1

  @Flag(name: .long, help: "Print where the time goes: by operation kind and by layer.")
  var profile = false

  func validate() throws {
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    try FlagLimits.check(repetitions, in: FlagLimits.iterations, "--repeat")
  }

  func run() throws {
    try computeDevice.requireCPUEngine()
    if DetectorRegistry.isDetector(variant.model) { return try runDetector(variant.model) }
    if let threads { ComputePool.shared.threadCount = threads }
    let base = try variant.configuration()
    let start = Date()
    let network = try EfficientNet.load(configuration: base, contentsOf: URL(fileURLWithPath: weights))
    let engine = InferenceEngine(model: network)
    let loaded = Date()
    let inputFile = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: input))
    let stored = try inputFile.tensor(named: "input")
    let channels = network.configuration.inputChannels
    guard stored.shape.count == 4, stored.shape[1] == channels, stored.shape.allSatisfy({ $0 >= 1 }) else {
      throw CommandError(
        "\(input): tensor 'input' has shape \(stored.shape); \(network.configuration.name) takes "
          + "[N, \(channels), H, W] (NCHW) with N, H, W ≥ 1")
    }
    guard stored.shape[2] <= FlagLimits.resolution.upperBound,
      stored.shape[3] <= FlagLimits.resolution.upperBound
    else {
      throw CommandError(
        "\(input): tensor 'input' is \(stored.shape[2])x\(stored.shape[3]) pixels; at most "
          + "\(FlagLimits.resolution.upperBound) on a side")
    }
    try MachineMemory.require(
      network.architecture, batch: stored.shape[0], side: max(stored.shape[2], stored.shape[3]),
      training: false)
    let nchw = Tensor(shape: stored.shape, values: stored.floats())
    let nhwc = nchw.nchwToNHWC()
    var result = try ModelLoading.attributingOverflow(to: weights) {
      try engine.evaluate(nhwc, collectFeatures: true)
    }
    var times: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      result = try engine.evaluate(nhwc, collectFeatures: true)
      times.append(Date().timeIntervalSince(started) * 1000)
    }
    var writer = SafeTensorsWriter(metadata: ["model": network.configuration.name])
    if let logits = result.logits {
      try writer.add(name: "logits", shape: logits.shape, values: logits.scalars)
    }
    for (index, feature) in result.features.enumerated() {
      let converted = feature.nhwcToNCHW()
      try writer.add(name: "features.\(index)", shape: converted.shape, values: converted.scalars)
    }
    try writer.write(to: URL(fileURLWithPath: output))
    if profile, let layers = try engine.evaluate(nhwc, profiling: true).profile {
      FileHandle.standardError.write(Data(ProfileReport.text(layers).utf8))
    }
    reportTimes(
      model: network.configuration.name, loadSeconds: loaded.timeIntervalSince(start), times: times,
      shape: stored.shape)
  }

  /// Prints to standard error how long loading took and the median evaluation of `times` (ms) for
  /// an input of NCHW `shape`.
  func reportTimes(model: String, loadSeconds: Double, times: [Double], shape: [Int]) {
    let median = times.sorted()[times.count / 2]
    let message =
      "\(model): load \(milliseconds(loadSeconds * 1000)) ms, "
      + "evaluate \(milliseconds(median)) ms (median of \(times.count) after a warm-up; batch \(shape[0]), "
      + "\(shape[2])x\(shape[3]), \(ComputePool.shared.threadCount) threads) -> \(output)\n"
    FileHandle.standardError.write(Data(message.utf8))
  }
}

/// A duration in milliseconds with one decimal.
func milliseconds(_ value: Double) -> String {
  String(format: "%.1f", value)
}
