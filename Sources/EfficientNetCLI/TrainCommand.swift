import ArgumentParser
import EfficientNetCore
import EfficientNetDetection
import EfficientNetKernels
import EfficientNetModels
import EfficientNetTraining
import Foundation

/// `efficientnet train`: train or fine-tune on an image folder or a CSV of pixel rows.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract:
      "Train or fine-tune an EfficientNet on an image folder or a CSV of pixel rows, or an EfficientDet on a COCO-format annotation file.",
    discussion: """
      A detector (--model efficientdet-lite0, tf_efficientdet_d0, ...; see `info --detectors`) trains on --data annotations.json with images beside it, evaluated by COCO AP on --val-data after each epoch; it takes --epochs, --batch-size, --lr, --weight-decay, --resolution, --seed, --no-augmentation, --scale, --weights (a classifier for the backbone, or an effdet checkpoint), --overwrite and --resume, and writes the same files as a classifier run. Writes OUTPUT/checkpoint.safetensors (model, optimizer, weight average, position, and the options the run was started with; atomically) and OUTPUT/model.safetensors after every epoch, and one line per epoch to OUTPUT/metrics.jsonl. Ctrl-C finishes the step, writes a checkpoint and exits; `efficientnet train --resume OUTPUT` alone continues exactly where it stopped (options may be given again with the same values; a different value is an error naming the option).
      """)

  @Option(name: .long, help: "Model name or alias.")
  var model: String = "efficientnet_lite0"

  @OptionGroup var dataOptions: DataOptions

  @OptionGroup var computeDevice: DeviceOptions

  @Option(
    name: .long,
    help:
      "finetune, scratch or paper: a named set of defaults (default: finetune from pretrained weights, else scratch); any flag below overrides its value."
  )
  var recipe: String?

  @Option(name: .long, help: "Passes over the training data (default 10).")
  var epochs: Int?

  @Option(name: .long, help: "Images per step (default 32).")
  var batchSize: Int?

  @Option(
    name: .long, help: "Peak learning rate, used as given (default: the recipe's, scaled by batch size).")
  var lr: Float?

  @Option(
    name: .long, help: "sgd, rmsprop (TensorFlow semantics, the paper's) or adamw (default: the recipe's).")
  var optimizer: String?

  @Option(name: .long, help: "cosine, exponential (x0.97 every 2.4 epochs) or constant, after warm-up.")
  var schedule: String?

  @Option(name: .long, help: "Linear warm-up epochs (default: the recipe's share of the run).")
  var warmupEpochs: Double?

  @Option(name: .long, help: "Weight decay (not applied to batch norm and biases).")
  var weightDecay: Double?

  @Option(name: .long, help: "Label smoothing.")
  var labelSmoothing: Double?

  @Option(name: .long, help: "Clip the global gradient norm to this value.")
  var clipGrad: Float?

  @Option(
    name: .long, help: "Keep an exponential moving average of the weights with this decay (e.g. 0.9999).")
  var emaDecay: Double?

  @OptionGroup var scaling: ScalingOptions

  @Option(name: .long, help: "Training resolution (default: the model's).")
  var resolution: Int?

  @Option(
    name: .long,
    help: "Initial weights (safetensors or .pth); the classifier is replaced when the class count differs.")
  var weights: String?

  @Option(name: .long, help: "Number of classes (default: the dataset's).")
  var numClasses: Int?

  @Option(name: .long, help: "Model input channels: 3 replicates grayscale images, 1 feeds them as they are.")
  var inputChannels: Int = 3

  @Option(name: .long, help: "RandAugment as timm writes it, e.g. rand-m9-n2 (default: none).")
  var randAugment: String?

  @Option(name: .long, help: "Dropout before the classifier (default: the model's, e.g. 0.2 for B0/Lite0).")
  var drop: Double?

  @Option(name: .long, help: "Stochastic-depth rate of the last block (default 0.2; 0 turns it off).")
  var dropPath: Double?

  @Flag(
    name: .long,
    help:
      "No random-resized crop or flip, and no center crop when validating: whole images resized (e.g. digits)."
  )
  var noAugmentation = false

  @Option(
    name: .long,
    help:
      "Random-resized-crop area range MIN,MAX as fractions of the image (timm's --scale; default 0.08,1); for a detector, the scale-jitter range of the fit-to-input size (effdet's, default 0.1,2)."
  )
  var scale: String?

  @Option(name: .long, help: "Horizontal-flip probability (default 0.5; use 0 for digits and text).")
  var hflip: Double?

  @Option(
    name: .long,
    help:
      "Fine-tuning: train only the classifier for the first K epochs (backbone and its batch-norm statistics frozen)."
  )
  var freezeEpochs: Int?

  @Flag(
    name: .long,
    help: "Batch norm uses its running statistics and never updates them (its scale and shift still train).")
  var freezeBn = false

  @Option(
    name: .long,
    help:
      "Layer-wise learning-rate decay D in (0, 1] (timm): classifier x1, last block and head xD, ..., stem xD^(blocks+1)."
  )
  var layerDecay: Double?

  @Option(name: .long, help: "Backbone learning rate as a multiple S of the classifier's (e.g. 0.1).")
  var backboneLrScale: Double = 1

  @Option(
    name: .long,
    help:
      "Class weights of the loss: 'balanced' (n_samples / (n_classes * count), as scikit-learn) or 'none'.")
  var classWeights: String = "none"

  @Option(
    name: .long,
    help:
      "Stratified K-fold cross-validation: K runs in OUTPUT/fold-1..K, each validating on one fold; reports per-fold and mean ROC AUC."
  )
  var folds: Int?

  @Option(name: .long, help: "Seed of data order, augmentation, dropout and initialization.")
  var seed: UInt64 = 0

  @Option(name: .long, help: "Background threads that load and augment data.")
  var workers: Int = 2

  @Option(name: .long, help: "Where checkpoints, weights and metrics go.")
  var output: String?

  @Option(
    name: .long,
    help: "Continue the run in this folder from its checkpoint, with the options it was started with.")
  var resume: String?

  @Flag(name: .long, help: "Start afresh in an --output folder that already holds a run (its run is lost).")
  var overwrite = false

  @Flag(
    name: .long,
    help:
      "Start from the published ImageNet weights of --model, downloaded once into the cache (see `efficientnet weights`)."
  )
  var pretrained = false

  @Option(
    name: .customLong("pretrained-entry"),
    help:
      "Which published weights of --model to start from, by name (implies --pretrained; e.g. efficientnet_b0.ra_in1k)."
  )
  var pretrainedEntry: String?

  @Flag(
    name: .long,
    help:
      "Sweep the learning rate exponentially from 1e-7 over a few hundred steps with this run's model, data and recipe; print the suggested rate and write OUTPUT/lr-find.svg (no checkpoint is written)."
  )
  var findLr = false

  /// The run's folder: --output, or the folder being resumed.
  var directory: String { output ?? resume ?? "" }

  func validate() throws {
    if let recipe, RecipeName(rawValue: recipe) == nil {
      throw ValidationError("--recipe must be finetune, scratch or paper, got '\(recipe)'")
    }
    if let optimizer, OptimizerKind(rawValue: optimizer) == nil {
      throw ValidationError("--optimizer must be sgd, rmsprop or adamw, got '\(optimizer)'")
    }
    if let schedule, ScheduleKind(rawValue: schedule) == nil {
      throw ValidationError("--schedule must be cosine, exponential or constant, got '\(schedule)'")
    }
    try FlagLimits.check(resolution, in: FlagLimits.resolution, "--resolution")
    try FlagLimits.check(numClasses, in: FlagLimits.classes, "--num-classes")
    try FlagLimits.check(epochs, in: FlagLimits.epochs, "--epochs")
    try FlagLimits.check(batchSize, in: FlagLimits.batch, "--batch-size")
    try FlagLimits.check(workers, in: FlagLimits.workers, "--workers")
    try FlagLimits.checkPositive(lr.map(Double.init), maximum: 10, "--lr")
    try FlagLimits.checkPositive(clipGrad.map(Double.init), "--clip-grad")
    try FlagLimits.check(weightDecay, in: 0...1, "--weight-decay")
    try FlagLimits.check(labelSmoothing, in: 0...0.999, "--label-smoothing")
    try FlagLimits.check(emaDecay, in: 0...0.999_999_9, "--ema-decay")
    try FlagLimits.check(warmupEpochs, in: 0...Double(FlagLimits.epochs.upperBound), "--warmup-epochs")
    if inputChannels != 1 && inputChannels != 3 { throw ValidationError("--input-channels must be 1 or 3") }
    if let drop, !(0..<1).contains(drop) { throw ValidationError("--drop must be in [0, 1), got \(drop)") }
    if let dropPath, !(0..<1).contains(dropPath) {
      throw ValidationError("--drop-path must be in [0, 1), got \(dropPath)")
    }
    if let hflip, !(0...1).contains(hflip) {
      throw ValidationError("--hflip must be in [0, 1], got \(hflip)")
    }
    if let scale {
      _ = try DetectorRegistry.isDetector(model) ? Self.parseScaleJitter(scale) : Self.parseScale(scale)
    }
    if noAugmentation && scale != nil {
      throw ValidationError("--scale has no effect with --no-augmentation (which turns the crop off)")
    }
    if output == nil && resume == nil { throw ValidationError("give --output DIR (or --resume DIR)") }
    if resume == nil { try dataOptions.requireData() }
    if let output, let resume, output != resume {
      throw ValidationError("--output \(output) and --resume \(resume) name different folders")
    }
    if findLr && (resume != nil || folds != nil) {
      throw ValidationError("--find-lr sweeps a fresh run: drop --resume and --folds")
    }
    if let resume, !FileManager.default.fileExists(atPath: resume + "/checkpoint.safetensors") {
      throw ValidationError("--resume \(resume): no checkpoint.safetensors there")
    }
    if let freezeEpochs, freezeEpochs < 0 {
      throw ValidationError("--freeze-epochs must be at least 0, got \(freezeEpochs)")
    }
    if let layerDecay, !(layerDecay > 0 && layerDecay <= 1) {
      throw ValidationError("--layer-decay must be in (0, 1], got \(layerDecay)")
    }
    if !(backboneLrScale >= 0) {
      throw ValidationError("--backbone-lr-scale must be at least 0, got \(backboneLrScale)")
    }
    if classWeights != "balanced" && classWeights != "none" {
      throw ValidationError("--class-weights must be balanced or none, got '\(classWeights)'")
    }
    if let folds {
      if folds < 2 { throw ValidationError("--folds must be at least 2, got \(folds)") }
      if dataOptions.valData != nil || dataOptions.trainCount != nil || resume != nil {
        throw ValidationError("--folds splits --data itself: drop --val-data, --train-count and --resume")
      }
    }
  }

  func run() throws {
    try computeDevice.requireCPUEngine()
    if resume == nil, DetectorRegistry.isDetector(model) { return try runDetector() }
    if let resume, let stored = try storedOptions(of: resume) {
      let command = try resumed(from: resume, stored: stored)
      try DetectorRegistry.isDetector(command.model) ? command.runDetector() : command.start()
    } else if let resume, dataOptions.data == nil {
      throw CommandError(
        "--resume \(resume): its checkpoint does not store the run's options (an older version wrote it); "
          + "give them again with --resume")
    } else {
      try start()
    }
  }

  /// Runs the command as its options say (after ``run()`` has put a resumed run's options back).
  func start() throws {
    let lock = try RunFolderLock(folder: URL(fileURLWithPath: directory))
    defer { withExtendedLifetime(lock) {} }
    if resume == nil && !overwrite && !findLr, let found = Self.existingRun(in: directory, folds: folds) {
      throw CommandError(
        "--output \(directory) already holds a run (\(found)); continue it with --resume \(directory), "
          + "or start again with --overwrite")
    }
    var resolved = try makeRecipe()
    let training = try DatasetOpening.open(dataOptions.dataPath)
    let classes = numClasses ?? training.classNames.count
    guard training.classNames.count >= 2 else {
      throw CommandError(
        "\(dataOptions.dataPath) has one class only (\(ClassList.text(training.classNames))): a classifier "
          + "needs at least 2")
    }
    guard classes >= training.classNames.count else {
      throw CommandError(
        "--num-classes \(classes) is fewer than the \(training.classNames.count) classes of \(dataOptions.dataPath)"
      )
    }
    if let folds {
      guard folds <= training.count else {
        throw CommandError("--folds \(folds): \(dataOptions.dataPath) has only \(training.count) samples")
      }
      let summary = try CrossValidationRun.run(
        dataset: training, folds: folds, recipe: resolved.recipe, directory: URL(fileURLWithPath: directory),
        model: { try makeModel(classes: classes, recipe: resolved.recipe) },
        train: { run, fold in
          FileHandle.standardError.write(Data("fold \(fold)/\(folds): \(directory)/fold-\(fold)\n".utf8))
          return try train(run, trainingCount: run.loaders.training.indices.count)
        },
        foldFinished: { fold in
          print(
            String(
              format: "fold %d  samples %d  top-1 %.2f%%  AUC ", fold.number, fold.metrics.count,
              fold.metrics.top1 * 100)
              + (fold.metrics.rocAUC?.macroAverage.map { String(format: "%.4f", $0) }
                ?? "undefined (one class only)"))
        })
      guard let summary else { throw ExitCode(130) }
      func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "undefined" }
      print(
        "mean AUC over \(summary.folds.compactMap(\.auc).count) folds: \(text(summary.meanAUC))"
          + "  pooled out-of-fold AUC: \(text(summary.pooledAUC))")
      return
    }
    let split = try dataOptions.selection(of: training, seed: seed)
    if resolved.recipe.settings.batchSize > split.training.count {
      // A batch larger than the training set is the whole set; the learning rate scales with the
      // batch actually used.
      FileHandle.standardError.write(
        Data(
          ("note: --batch-size \(resolved.recipe.settings.batchSize) is more than the \(split.training.count) "
            + "training samples; using batches of \(split.training.count)\n").utf8))
      resolved.clampBatchSize(to: split.training.count)
    }
    FileHandle.standardError.write(Data(Self.settingsTable(resolved).utf8))
    let data = TrainingData(
      dataset: training, trainingIndices: split.training, validationIndices: split.validation,
      validationDataset: split.validationSet)
    let model = try makeModel(classes: classes, recipe: resolved.recipe)
    if findLr {
      try findLearningRate(model: model, recipe: resolved.recipe, data: data)
      return
    }
    let run = try TrainingRun(
      model: model, recipe: resolved.recipe,
      data: data, directory: URL(fileURLWithPath: directory), resume: resume != nil,
      metadata: [
        Self.optionsMetadataKey: try encodedOptions(),
        Self.resolvedSettingsMetadataKey: try Self.encodedSettings(resolved),
      ])
    _ = try train(run, trainingCount: split.training.count)
  }

  /// The model to train: the named one (scaled when asked), pretrained weights when given.
  func makeModel(classes: Int, recipe: TrainingRecipe) throws -> EfficientNet {
    let start = try startingWeights()
    return try ModelBuilding.trainable(
      model: model, weights: start?.path, batchNormEpsilon: start?.batchNormEpsilon, classes: classes,
      inputChannels: inputChannels,
      seed: seed, resolution: resolution, drop: recipe.dropout, dropPath: recipe.dropPath, scaling: scaling,
      batch: recipe.settings.batchSize)
  }

  /// Trains `run` with a progress bar and a line per epoch; throws exit code 130 when interrupted.
  func train(_ run: TrainingRun, trainingCount: Int) throws -> TrainingOutcome {
    let trainer = run.trainer
    let settings = run.settings
    let configuration = trainer.graph.architecture.configuration
    var note =
      "\(configuration.name): \(trainingCount) training and \(run.loaders.validation.map { $0.indices.count } ?? 0) "
      + "validation images, \(configuration.classCount) classes, \(run.side)x\(run.side), "
      + "\(settings.optimizer.rawValue) lr \(settings.resolvedLearningRate), \(ComputePool.shared.threadCount) threads"
    if settings.freezeEpochs > 0 { note += ", backbone frozen for \(settings.freezeEpochs) epochs" }
    if let weights = settings.classWeights {
      note += ", class weights " + weights.map { String(format: "%.3f", $0) }.joined(separator: " ")
    }
    if trainer.position.step > 0 {
      note += "; resuming at epoch \(trainer.position.epoch + 1), step \(trainer.position.step)"
    }
    FileHandle.standardError.write(Data((note + "\n").utf8))
    Interruption.install()
    defer { Interruption.uninstall() }
    let bar = ProgressBar(total: run.loaders.training.batchCount, label: "epoch", enabled: true)
    var reportedMemory = false
    var reportedSources: Set<String> = []
    let outcome = try run.run(
      progress: { progress in
        if !reportedMemory {
          reportedMemory = true
          let megabytes = Double(trainer.graph.activationBytes) / 1_048_576
          bar.clearLine()
          FileHandle.standardError.write(Data(String(format: "activation memory: %.1f MB\n", megabytes).utf8))
        }
        bar.set(
          done: progress.batch, total: progress.batchesPerEpoch,
          label: "epoch \(progress.epoch + 1)/\(settings.epochs)",
          detail: String(
            format: "loss %.4f acc %.2f%% %.1f img/s lr %.2e", progress.loss, progress.accuracy * 100,
            progress.imagesPerSecond, progress.learningRate))
      },
      epochEnded: { record in
        bar.clearLine()
        // Each sample that failed to load is named once, the first epoch it fails in.
        for failure in run.loaders.training.failures where reportedSources.insert(failure.source).inserted {
          FileHandle.standardError.write(
            Data("warning: skipped \(failure.source): \(failure.message)\n".utf8))
        }
        let values: [(String, Double?)] = [
          ("train_loss", record.trainingLoss), ("train_accuracy", record.trainingAccuracy),
          ("val_loss", record.validationLoss), ("val_top1", record.validationTop1),
          ("val_top5", record.validationTop5), ("val_auc", record.validationAUC),
          ("val_ema_top1", record.averagedValidationTop1), ("seconds", record.seconds),
        ]
        let parts =
          ["epoch \(record.epoch + 1)"]
          + values.compactMap { key, value in value.map { String(format: "%@ %.4f", key, $0) } }
        FileHandle.standardError.write(Data((parts.joined(separator: "  ") + "\n").utf8))
      })
    bar.finish()
    if case .interrupted(let epoch, let batch) = outcome {
      let folder = trainer.checkpointURL.deletingLastPathComponent().path
      FileHandle.standardError.write(
        Data(
          "interrupted at epoch \(epoch + 1), batch \(batch): checkpoint written to \(folder); rerun with --resume \(folder)\n"
            .utf8))
      throw ExitCode(130)
    }
    return outcome
  }
}
