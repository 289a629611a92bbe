import ArgumentParser
import EfficientNetModels
import Foundation

/// `--model` with `--width` and `--depth` overrides, for the commands that build a named model of
/// any size (`bench`, `run`).
struct ModelVariantOptions: ParsableArguments {
  @Option(name: .long, help: "Model name or alias (see `efficientnet info`).")
  var model: String = "efficientnet_b0"

  @Option(name: .long, help: "Override the model's width multiplier (e.g. 0.25 for a tiny test model).")
  var width: Double?

  @Option(name: .long, help: "Override the model's depth multiplier.")
  var depth: Double?

  func validate() throws {
    try FlagLimits.checkPositive(width, maximum: ArchitectureLimits.maximumMultiplier, "--width")
    try FlagLimits.checkPositive(depth, maximum: ArchitectureLimits.maximumMultiplier, "--depth")
  }

  /// The named model's configuration with the width and depth overrides.
  func configuration() throws -> Configuration {
    var configuration = try ModelRegistry.configuration(named: model)
    if let width { configuration.widthMultiplier = width }
    if let depth { configuration.depthMultiplier = depth }
    return configuration
  }
}

/// `--phi` with `--alpha`, `--beta`, `--gamma` and a custom baseline: the model compound scaling
/// gives from the named one (e.g. with the coefficients `efficientnet search` found).
struct ScalingOptions: ParsableArguments {
  /// `base` with `--blocks` (named "custom"), its width multiplied by `--base-width` and its
  /// resolution set to `--base-resolution`, each when given.
  static func customBaseline(
    _ base: Configuration, blocks: String?, baseWidth: Double?, baseResolution: Int?
  ) throws -> Configuration {
    var configuration = base
    if let blocks {
      do {
        configuration.blocks = try BlockArguments.parseTable(blocks)
      } catch {
        throw CommandError("--blocks: \(error)")
      }
      configuration.name = "custom"
    }
    if let baseWidth { configuration.widthMultiplier *= baseWidth }
    if let baseResolution { configuration.resolution = baseResolution }
    return configuration
  }

  @Option(name: .long, help: "Compound coefficient: train the model that scaling --model by phi gives.")
  var phi: Double?

  @Option(name: .long, help: "Depth base alpha of the scaling (default 1.2; with --phi).")
  var alpha: Double = CompoundScaling.paper.alpha

  @Option(name: .long, help: "Width base beta of the scaling (default 1.1; with --phi).")
  var beta: Double = CompoundScaling.paper.beta

  @Option(name: .long, help: "Resolution base gamma of the scaling (default 1.15; with --phi).")
  var gamma: Double = CompoundScaling.paper.gamma

  @Option(name: .long, help: "A custom baseline block table (timm's notation), replacing the model's blocks.")
  var blocks: String?

  @Option(name: .long, help: "Width multiplier of the baseline itself (before scaling).")
  var baseWidth: Double?

  @Option(name: .long, help: "Input resolution of the baseline (scaled by gamma^phi).")
  var baseResolution: Int?

  func validate() throws {
    let changed =
      alpha != CompoundScaling.paper.alpha || beta != CompoundScaling.paper.beta
      || gamma != CompoundScaling.paper.gamma
    if phi == nil && changed { throw ValidationError("--alpha, --beta and --gamma need --phi") }
    try FlagLimits.checkPositive(baseWidth, maximum: ArchitectureLimits.maximumMultiplier, "--base-width")
    try FlagLimits.check(baseResolution, in: FlagLimits.resolution, "--base-resolution")
  }

  /// The baseline with the custom blocks, width and resolution, scaled by φ when given.
  func apply(to base: Configuration) throws -> Configuration {
    let configuration = try Self.customBaseline(
      base, blocks: blocks, baseWidth: baseWidth, baseResolution: baseResolution)
    guard let phi else { return configuration }
    do {
      return try ModelRegistry.compoundScaled(
        phi: phi, scaling: CompoundScaling(alpha: alpha, beta: beta, gamma: gamma), base: configuration)
    } catch let error as ArchitectureError {
      throw CommandError("--\(error.optionName): \(error)")
    }
  }
}

/// Builds the model to train: pretrained weights when given (classifier replaced when the class count
/// differs, stem adapted to the input channels with timm's rule), otherwise timm's random
/// initialization from the seed; `batchNormEpsilon`, when given, is the one the weights were trained
/// with (torchvision's B5–B7).
enum ModelBuilding {
  static func trainable(
    model: String, weights: String?, batchNormEpsilon: Double? = nil, classes: Int, inputChannels: Int,
    seed: UInt64, resolution: Int?,
    drop: Double? = nil, dropPath: Double? = nil, scaling: ScalingOptions? = nil, batch: Int
  ) throws -> EfficientNet {
    var configuration = try ModelRegistry.configuration(named: model)
    if let scaling { configuration = try scaling.apply(to: configuration) }
    if let batchNormEpsilon { configuration.batchNormEpsilon = batchNormEpsilon }
    if let drop { configuration.dropoutRate = drop }
    if let dropPath { configuration.dropConnectRate = dropPath }
    if let resolution { configuration.resolution = resolution }
    configuration.classCount = classes
    configuration.inputChannels = inputChannels
    let architecture = try configuration.resolve()
    try MachineMemory.require(architecture, batch: batch, side: configuration.resolution, training: true)
    let fresh = EfficientNet(architecture: architecture, seed: seed)
    guard let weights else { return fresh }
    let pretrained = try EfficientNet.load(
      configuration: configuration, contentsOf: URL(fileURLWithPath: weights))
    do {
      return try fresh.transferringWeights(from: pretrained)
    } catch {
      throw CommandError("--weights \(weights): \(error)")
    }
  }
}
