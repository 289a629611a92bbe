import ArgumentParser
import EfficientNetFiles
import EfficientNetModels
import EfficientNetSearch
import EfficientNetTraining
import Foundation

/// `efficientnet search`: the paper's grid search for the compound-scaling coefficients.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Grid-search the compound-scaling coefficients alpha, beta, gamma on your data and baseline.",
    discussion: """
      Enumerates every (alpha, beta, gamma) on a grid from 1 whose FLOPs factor alpha*beta^2*gamma^2 lies within --tolerance of --target (the paper: 2), builds each phi = 1 model from the baseline (depth x alpha, width x beta, resolution x gamma), trains it with the same recipe and seed, and records validation top-1, MACs (and their measured ratio to the baseline), parameters and training time. Results go to OUTPUT/results.jsonl as each candidate finishes, the plot to OUTPUT/search.svg. Ctrl-C stops after a checkpoint; running the same command again skips finished candidates and resumes the interrupted one. --compare-single adds the paper's control: depth-only, width-only and resolution-only scaling at the same FLOPs factor.
      """)

  @OptionGroup var dataOptions: DataOptions

  @Option(name: .long, help: "Baseline model name (its blocks, stem/head rules and activation).")
  var baseline: String = "efficientnet_b0"

  @Option(
    name: .long, help: "A custom baseline block table, e.g. 'ds_r1_k3_s1_e1_c16_se0.25,ir_r2_k3_s2_e6_c24'.")
  var blocks: String?

  @Option(name: .long, help: "Width multiplier of the baseline itself (e.g. 0.5 for a half-width Lite0).")
  var baseWidth: Double = 1

  @Option(name: .long, help: "Depth multiplier of the baseline itself.")
  var baseDepth: Double = 1

  @Option(name: .long, help: "Input resolution of the baseline (default: the baseline model's).")
  var baseResolution: Int?

  @Option(name: .long, help: "Grid spacing of alpha, beta and gamma.")
  var gridStep: Double = 0.05

  @Option(name: .long, help: "FLOPs factor of phi = 1 (alpha*beta^2*gamma^2).")
  var target: Double = 2

  @Option(name: .long, help: "Keep grid points whose alpha*beta^2*gamma^2 is within this of --target.")
  var tolerance: Double = 0.05

  @Flag(name: .long, help: "Also train depth-only, width-only and resolution-only scaling at the same FLOPs.")
  var compareSingle = false

  @Flag(name: .long, help: "Only list the candidates with their MACs; train nothing.")
  var list = false

  @Option(name: .long, help: "Epochs per candidate.")
  var epochs: Int = 2

  @Option(name: .long, help: "Images per step.")
  var batchSize: Int = 32

  @Option(name: .long, help: "sgd, rmsprop or adamw.")
  var optimizer: String = "adamw"

  @Option(name: .long, help: "Peak learning rate (default: the optimizer's).")
  var lr: Float?

  @Option(name: .long, help: "Weight decay.")
  var weightDecay: Double = 0.01

  @Option(name: .long, help: "Linear warm-up epochs.")
  var warmupEpochs: Double = 0

  @Option(name: .long, help: "Dropout before the classifier (default: the baseline's).")
  var drop: Double?

  @Option(name: .long, help: "Stochastic-depth rate (default: the baseline's).")
  var dropPath: Double?

  @Flag(name: .long, help: "No random-resized crop or flip; whole images resized (e.g. digits).")
  var noAugmentation = false

  @Option(name: .long, help: "Model input channels: 3 replicates grayscale images, 1 feeds them as they are.")
  var inputChannels: Int = 3

  @Option(
    name: .long, help: "Seed of data order, augmentation and initialization (the same for every candidate).")
  var seed: UInt64 = 0

  @Option(name: .long, help: "Background threads that load and augment data.")
  var workers: Int = 2

  @Option(name: .long, help: "The search folder (results.jsonl, search.svg, runs/).")
  var output: String = "search"

  func validate() throws {
    if !list { try dataOptions.requireData() }
    try FlagLimits.check(epochs, in: FlagLimits.epochs, "--epochs")
    try FlagLimits.check(batchSize, in: FlagLimits.batch, "--batch-size")
    try FlagLimits.check(workers, in: FlagLimits.workers, "--workers")
    try FlagLimits.checkPositive(lr.map(Double.init), maximum: 10, "--lr")
    try FlagLimits.check(weightDecay, in: 0...1, "--weight-decay")
    try FlagLimits.check(warmupEpochs, in: 0...Double(FlagLimits.epochs.upperBound), "--warmup-epochs")
    guard OptimizerKind(rawValue: optimizer) != nil else {
      throw ValidationError("--optimizer must be sgd, rmsprop or adamw, got '\(optimizer)'")
    }
    try FlagLimits.checkPositive(baseWidth, maximum: ArchitectureLimits.maximumMultiplier, "--base-width")
    try FlagLimits.checkPositive(baseDepth, maximum: ArchitectureLimits.maximumMultiplier, "--base-depth")
    try FlagLimits.check(baseResolution, in: FlagLimits.resolution, "--base-resolution")
    if inputChannels != 1 && inputChannels != 3 { throw ValidationError("--input-channels must be 1 or 3") }
    if let drop, !(0..<1).contains(drop) { throw ValidationError("--drop must be in [0, 1), got \(drop)") }
    if let dropPath, !(0..<1).contains(dropPath) {
      throw ValidationError("--drop-path must be in [0, 1), got \(dropPath)")
    }
  }

  /// The baseline the candidates scale: `--baseline` with `--blocks`, `--base-width`, `--base-depth`,
  /// `--base-resolution` and `--input-channels`.
  func baselineConfiguration() throws -> Configuration {
    var base = try ModelRegistry.configuration(named: baseline)
    if let blocks {
      base.blocks = try BlockArguments.parseTable(blocks)
      base.name = "custom"
    }
    base.widthMultiplier *= baseWidth
    base.depthMultiplier *= baseDepth
    if let baseResolution { base.resolution = baseResolution }
    base.inputChannels = inputChannels
    try base.validate()
    return base
  }

  func run() throws {
    var candidates = try ScalingGrid.candidates(step: gridStep, target: target, tolerance: tolerance)
    if compareSingle { candidates += ScalingGrid.singleDimensionControls(target: target) }
    if candidates.isEmpty {
      throw CommandError(
        "no grid point with step \(gridStep) has alpha*beta^2*gamma^2 within \(tolerance) of \(target); "
          + "raise --tolerance or lower --grid-step")
    }
    if list {
      try printCandidates(candidates, base: try baselineConfiguration())
      return
    }
    let training = try DatasetOpening.open(dataOptions.dataPath)
    let split = try dataOptions.selection(of: training, seed: seed)
    var base = try baselineConfiguration()
    base.classCount = split.classCount
    var settings = TrainingSettings()
    settings.epochs = epochs
    settings.batchSize = batchSize
    settings.optimizer = OptimizerKind(rawValue: optimizer)!
    settings.learningRate = lr
    settings.weightDecay = weightDecay
    settings.warmupEpochs = warmupEpochs
    settings.seed = seed
    settings.workers = workers
    try settings.validate()
    let description: [String: String] = [
      "data": dataOptions.dataPath, "val_data": dataOptions.valData ?? "",
      "val_split": "\(dataOptions.valSplit)",
      "train_count": "\(dataOptions.trainCount ?? -1)",
      "val_count": "\(dataOptions.valCount ?? -1)", "baseline": baseline, "blocks": blocks ?? "",
      "base_width": "\(baseWidth)",
      "base_depth": "\(baseDepth)", "base_resolution": "\(base.resolution)", "grid_step": "\(gridStep)",
      "target": "\(target)", "tolerance": "\(tolerance)", "compare_single": "\(compareSingle)",
      "epochs": "\(epochs)", "batch_size": "\(batchSize)", "optimizer": optimizer,
      "lr": "\(settings.resolvedLearningRate)", "weight_decay": "\(weightDecay)",
      "warmup_epochs": "\(warmupEpochs)",
      "drop": drop.map { "\($0)" } ?? "", "drop_path": dropPath.map { "\($0)" } ?? "",
      "augment": "\(!noAugmentation)", "input_channels": "\(inputChannels)", "seed": "\(seed)",
    ]
    let directory = URL(fileURLWithPath: output)
    let search = try ScalingSearch(
      baseline: base, candidates: candidates, directory: directory, settings: description)
    let baseMACs = try search.baselineMACs()
    let done = try search.results.records().count
    FileHandle.standardError.write(
      Data(
        ("search: \(candidates.count) candidates (\(done) done) from \(base.name) width \(base.widthMultiplier) "
          + "depth \(base.depthMultiplier) at \(base.resolution)px, \(String(format: "%.1f", Double(baseMACs) / 1e6))M MACs; "
          + "\(split.training.count) training and \(split.validationCount) validation images, \(epochs) epochs each\n")
          .utf8))
    let setup = SearchTrainingSetup(
      dataset: training, trainingIndices: split.training, validationIndices: split.validation,
      validationDataset: split.validationSet, settings: settings, augment: !noAugmentation, dropout: drop,
      dropPath: dropPath)
    Interruption.install()
    defer { Interruption.uninstall() }
    let bar = ProgressBar(total: 1, label: "", enabled: true)
    var current = ""
    let completed = try search.run(
      setup: setup,
      starting: { index, candidate, resuming in
        current = "\(index + 1)/\(candidates.count) \(candidate.label)"
        bar.clearLine()
        FileHandle.standardError.write(
          Data("candidate \(current) (\(candidate.kind.rawValue))\(resuming ? ", resuming" : "")\n".utf8))
      },
      progress: { progress in
        bar.set(
          done: progress.batch, total: progress.batchesPerEpoch,
          label: "\(current) epoch \(progress.epoch + 1)/\(epochs)",
          detail: String(format: "loss %.4f acc %.2f%%", progress.loss, progress.accuracy * 100))
      },
      finished: { record in
        bar.clearLine()
        FileHandle.standardError.write(
          Data(
            String(
              format: "  %@: val top-1 %.2f%%, %.1fM MACs (x%.3f), %.1f s\n", record.label,
              record.validationTop1 * 100, Double(record.macs) / 1e6, record.macsRatio, record.trainingSeconds
            ).utf8))
        try? writePlot(search: search)
      })
    bar.finish()
    try writePlot(search: search)
    let records = try search.results.records()
    print(Self.table(records, chosen: ScalingSearch.chosen(records)?.label))
    if !completed {
      FileHandle.standardError.write(
        Data(
          "interrupted: run the same command again to resume (\(records.count) of \(candidates.count) done)\n"
            .utf8))
      throw ExitCode(130)
    }
    if let best = ScalingSearch.chosen(records) {
      print(
        "chosen: alpha \(best.alpha), beta \(best.beta), gamma \(best.gamma); scale with "
          + "`efficientnet info --alpha \(best.alpha) --beta \(best.beta) --gamma \(best.gamma) --phi 1,2,3`")
    }
  }

  private func writePlot(search: ScalingSearch) throws {
    let records = try search.results.records()
    let svg = SearchPlot.svg(
      records: records, chosen: ScalingSearch.chosen(records)?.label,
      title: "Compound-scaling search from \(search.baseline.name) (phi = 1, FLOPs x\(target))")
    let url = search.directory.appendingPathComponent("search.svg")
    do {
      try AtomicFile.write(svg, to: url)
    } catch {
      throw CommandError("\(url.path): cannot write (\(error.reason))")
    }
  }

  private func printCandidates(_ candidates: [ScalingCandidate], base: Configuration) throws {
    let baseMACs = try base.resolve().cost().multiplyAccumulates
    print(
      "baseline \(base.name): \(base.resolution)px, \(String(format: "%.2f", Double(baseMACs) / 1e6))M MACs")
    print("label                      kind             a*b^2*g^2  MACs ratio  resolution  width   depth")
    for candidate in candidates {
      var scaled = try ModelRegistry.compoundScaled(phi: 1, scaling: candidate.scaling, base: base)
      scaled.name = candidate.label
      let macs = try scaled.resolve().cost().multiplyAccumulates
      print(
        String(
          format: "%@ %@ %9.3f  %10.3f  %10d  %6.3f  %6.3f", Self.pad(candidate.label, 26),
          Self.pad(candidate.kind.rawValue, 16), candidate.flopsFactor, Double(macs) / Double(baseMACs),
          scaled.resolution, scaled.widthMultiplier,
          scaled.depthMultiplier))
    }
  }

  /// `text` padded with spaces to `width` characters.
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }

  /// The ranked table (best validation top-1 first).
  static func table(_ records: [SearchRecord], chosen: String?) -> String {
    let ranked = records.sorted { ($0.validationTop1, -$0.macs) > ($1.validationTop1, -$1.macs) }
    var lines = [
      "rank  label                      kind             a*b^2*g^2  MACs ratio  MACs (M)  params (M)  res  val top-1  train s"
    ]
    for (index, record) in ranked.enumerated() {
      lines.append(
        String(
          format: "%4d  %@ %@ %9.3f  %10.3f  %8.2f  %10.3f  %3d  %8.2f%%  %7.1f%@", index + 1,
          Self.pad(record.label, 26), Self.pad(record.kind, 16), record.flopsFactor, record.macsRatio,
          Double(record.macs) / 1e6,
          Double(record.parameters) / 1e6, record.resolution, record.validationTop1 * 100,
          record.trainingSeconds,
          record.label == chosen ? "  <- chosen" : ""))
    }
    return lines.joined(separator: "\n")
  }
}
