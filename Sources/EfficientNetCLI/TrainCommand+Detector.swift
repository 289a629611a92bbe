import ArgumentParser
import EfficientNetCore
import EfficientNetDetection
import EfficientNetModels
import EfficientNetTraining
import Foundation

extension TrainCommand {
  /// Trains a detector (`--model` an EfficientDet) on a COCO-format annotation file (`--data`), with
  /// `--val-data` evaluated by COCO AP after each epoch; the backbone starts from a classifier's
  /// weights (`--weights`, else the shipped Lite0 for Lite0 detectors), or the whole detector from an
  /// effdet-named checkpoint. Writes OUTPUT/model.safetensors and metrics.jsonl after every epoch.
  func runDetector() throws {
    guard let data = dataOptions.data else {
      throw CommandError("--data: give a COCO-format annotation file")
    }
    guard let directory = resume ?? output else {
      throw CommandError("--output: give the folder the run writes")
    }
    let reader = COCOAnnotationReader()
    let training = try reader.read(URL(fileURLWithPath: data))
    let validation = try dataOptions.valData.map { try reader.read(URL(fileURLWithPath: $0)) }
    var configuration = try DetectorRegistry.configuration(named: model)
    configuration.classCount = training.categories.count
    if let resolution {
      configuration.inputHeight = resolution
      configuration.inputWidth = resolution
    }
    let folder = URL(fileURLWithPath: directory)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let lock = try RunFolderLock(folder: folder)
    defer { withExtendedLifetime(lock) {} }
    let files = DetectorRunFiles(folder: folder)
    let checkpoint = try resume.map { _ in try TrainingCheckpoint(contentsOf: files.checkpoint) }
    if checkpoint == nil { try files.prepareFreshRun(overwrite: overwrite, name: directory) }
    let detector =
      try checkpoint.map {
        try EfficientDet(configuration: configuration, tensors: $0.model, source: files.checkpoint.path)
      } ?? initialDetector(configuration)
    var settings = DetectorTrainingSettings()
    settings.epochs = epochs ?? settings.epochs
    settings.batchSize = batchSize ?? settings.batchSize
    // Through its decimal text, so 0.002 is 0.002 and not the float nearest it.
    settings.learningRate = lr.map { Double("\($0)") ?? Double($0) } ?? settings.learningRate
    settings.weightDecay = weightDecay ?? settings.weightDecay
    settings.seed = seed
    if noAugmentation { settings.augmentation = .none }
    if let scale { settings.augmentation.scaleRange = try Self.parseScaleJitter(scale) }
    let trainer = DetectorTrainer(
      model: detector, dataset: training, settings: settings,
      loss: DetectorTrainer.standardLoss(for: detector))
    trainer.warn = log
    var position = try checkpoint.flatMap { try trainer.restore($0) }
    let firstEpoch = (checkpoint?.epoch ?? 0) + 1
    var history = try files.history(through: checkpoint?.epoch ?? 0)
    let names = training.categories.map(\.name)
    log(
      "\(configuration.name): \(training.images.count) training images\(validation.map { ", \($0.images.count) validation" } ?? ""), "
        + "\(names.count) classes, \(configuration.inputHeight)x\(configuration.inputWidth), AdamW lr \(settings.learningRate), "
        + "batch \(settings.batchSize), \(settings.epochs) epochs"
        + (checkpoint.map {
          " (resumed after epoch \($0.epoch)\(position.map { ", batch \($0.nextBatch)" } ?? ""))"
        } ?? ""))
    guard firstEpoch <= settings.epochs else {
      log("the run in \(directory) has finished its \(settings.epochs) epochs")
      return
    }
    let options = [Self.optionsMetadataKey: try encodedOptions()]
    Interruption.install()
    defer { Interruption.uninstall() }
    for epoch in firstEpoch...settings.epochs {
      let steps = (training.images.count + settings.batchSize - 1) / settings.batchSize
      let bar = ProgressBar(total: steps, label: "epoch \(epoch)", enabled: true)
      let outcome = try trainer.trainEpoch(
        epoch, resumingAt: position, shouldStop: { Interruption.isRequested }
      ) {
        _, _, loss in bar.advance(detail: String(format: "loss %.4f", loss))
      }
      position = nil
      bar.finish()
      guard case .finished(var record) = outcome else {
        if case .interrupted(let stopped) = outcome {
          try trainer.checkpoint(completedEpochs: epoch - 1, position: stopped, metadata: options)
            .write(to: files.checkpoint)
          log(
            "interrupted at epoch \(epoch), batch \(stopped.nextBatch): checkpoint written to \(directory); "
              + "rerun with --resume \(directory)")
        }
        throw ExitCode(130)
      }
      if let validation {
        let evaluation = try trainer.evaluate(on: validation)
        record.validationAP = evaluation.statistics[0]
        record.validationAP50 = evaluation.statistics[1]
      }
      try trainer.model().write(to: files.model, classNames: names)
      history.append(record)
      try files.append(record)
      try trainer.checkpoint(completedEpochs: epoch, position: nil, metadata: options).write(
        to: files.checkpoint)
      do {
        try DetectorTrainingCurves.write(history, to: files.curves)
      } catch {
        log("warning: \(error) (training goes on)")
      }
      print(
        String(
          format: "epoch %d  loss %.4f  class %.4f  box %.5f  %@%.1f images/s  %.1f s", epoch, record.loss,
          record.classLoss, record.boxLoss,
          record.validationAP.map {
            String(format: "val AP %.4f  AP50 %.4f  ", $0, record.validationAP50 ?? 0)
          } ?? "",
          record.imagesPerSecond, record.seconds))
      fflush(stdout)
      if Interruption.isRequested {
        log(
          "interrupted after epoch \(epoch): checkpoint written to \(directory); rerun with --resume \(directory)"
        )
        throw ExitCode(130)
      }
    }
  }

  /// The detector a run starts from: an effdet-named checkpoint as it is; else a fresh feature
  /// network and heads on the backbone of `--weights` (a classifier) or, for a Lite0 detector, the
  /// shipped ImageNet Lite0.
  private func initialDetector(_ configuration: DetectorConfiguration) throws -> EfficientDet {
    if let weights {
      let url = URL(fileURLWithPath: weights)
      if let detector = try? EfficientDet.load(configuration: configuration, contentsOf: url),
        detector.configuration.classCount == configuration.classCount
      {
        log("starting from the detector \(weights)")
        return detector
      }
      let backbone = try EfficientNet.load(
        configuration: classifierConfiguration(configuration), contentsOf: url)
      log("backbone: \(weights) (a classifier's weights); feature network and heads initialized")
      return try EfficientDet(configuration: configuration, backbone: backbone, seed: seed)
    }
    if configuration.backbone.name.hasSuffix("lite0") {
      let backbone = try EfficientNet(
        configuration: try classifierConfiguration(configuration),
        contentsOf: try PretrainedModels.lite0WeightsURL())
      log(
        "backbone: the shipped ImageNet \(PretrainedModels.defaultModelName) weights "
          + "(\(try PretrainedModels.lite0WeightsURL().lastPathComponent)); feature network and heads initialized"
      )
      return try EfficientDet(configuration: configuration, backbone: backbone, seed: seed)
    }
    log("backbone: random (no --weights): training from scratch")
    let backbone = EfficientNet(architecture: try configuration.backbone.resolve(), seed: seed)
    return try EfficientDet(configuration: configuration, backbone: backbone, seed: seed)
  }

  /// The backbone as a classifier configuration (for loading classifier weights into it).
  private func classifierConfiguration(_ configuration: DetectorConfiguration) throws -> Configuration {
    var backbone = configuration.backbone
    backbone.includeClassifier = true
    return backbone
  }

  private func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
  }
}
