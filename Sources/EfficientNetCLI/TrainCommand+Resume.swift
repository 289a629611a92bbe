import ArgumentParser
import EfficientNetTraining
import Foundation

/// `train --resume DIR` alone: the checkpoint stores the options the run was started with, and a
/// resumed run takes them from there. Options given again must have the same values.
extension TrainCommand {
  /// The checkpoint metadata key of the run's options (JSON, `--name` → value).
  static let optionsMetadataKey = "train.options"

  /// Options that may change when a run is resumed: they do not change a single number it computes.
  static let freeOnResume: Set<String> = ["--workers", "--resume", "--output", "--device"]

  /// Options that are flags: stored as `true` or `false`.
  static let flags: Set<String> = ["--freeze-bn", "--no-augmentation", "--pretrained"]

  /// Every option that defines the run, as `--name` → its value (defaults included, unset ones
  /// left out).
  var definingOptions: [String: String] {
    var options: [String: String] = [:]
    func set(_ name: String, _ value: (any CustomStringConvertible)?) {
      if let value { options[name] = value.description }
    }
    set("--model", model)
    set("--recipe", recipeName.rawValue)
    set("--pretrained", pretrained)
    set("--pretrained-entry", pretrainedEntry)
    set("--data", dataOptions.data)
    set("--val-data", dataOptions.valData)
    set("--val-split", dataOptions.valSplit)
    set("--train-count", dataOptions.trainCount)
    set("--val-count", dataOptions.valCount)
    set("--epochs", epochs)
    set("--batch-size", batchSize)
    set("--lr", lr)
    set("--optimizer", optimizer)
    set("--schedule", schedule)
    set("--warmup-epochs", warmupEpochs)
    set("--weight-decay", weightDecay)
    set("--label-smoothing", labelSmoothing)
    set("--clip-grad", clipGrad)
    set("--ema-decay", emaDecay)
    set("--phi", scaling.phi)
    set("--alpha", scaling.alpha)
    set("--beta", scaling.beta)
    set("--gamma", scaling.gamma)
    set("--blocks", scaling.blocks)
    set("--base-width", scaling.baseWidth)
    set("--base-resolution", scaling.baseResolution)
    set("--resolution", resolution)
    set("--weights", weights)
    set("--num-classes", numClasses)
    set("--input-channels", inputChannels)
    set("--rand-augment", randAugment)
    set("--drop", drop)
    set("--drop-path", dropPath)
    set("--no-augmentation", noAugmentation)
    set("--scale", scale)
    set("--hflip", hflip)
    set("--freeze-epochs", freezeEpochs)
    set("--freeze-bn", freezeBn)
    set("--layer-decay", layerDecay)
    set("--backbone-lr-scale", backboneLrScale)
    set("--class-weights", classWeights)
    set("--seed", seed)
    return options
  }

  /// ``definingOptions`` as stored in the checkpoint.
  func encodedOptions() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(definingOptions), as: UTF8.self)
  }

  /// The options stored in the checkpoint in `folder`; nil when it has no checkpoint or the
  /// checkpoint predates stored options.
  func storedOptions(of folder: String) throws -> [String: String]? {
    guard let metadata = try TrainingRun.storedMetadata(in: URL(fileURLWithPath: folder)),
      let text = metadata[Self.optionsMetadataKey]
    else { return nil }
    guard let options = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
      throw CommandError("--resume \(folder): the checkpoint's stored options are unreadable")
    }
    return options
  }

  /// The command a resumed run executes: the stored options, with the ones given on this command line
  /// checked against them.
  ///
  /// - Throws: ``CommandError`` naming the first option whose value differs from the run's.
  func resumed(from folder: String, stored: [String: String]) throws -> TrainCommand {
    let given = Self.givenOptionNames(in: Array(CommandLine.arguments.dropFirst()))
    let current = definingOptions
    for name in given.sorted() where !Self.freeOnResume.contains(name) {
      guard stored[name] != current[name] else { continue }
      let value = current[name] ?? "unset"
      let before = stored[name].map { "the run's \($0)" } ?? "unset when the run started"
      throw CommandError(
        "\(name) \(value) differs from \(before) in \(folder); resume with the run's options "
          + "(or start a new run in another folder)")
    }
    var arguments: [String] = []
    // A run stored before recipes existed had the paper's defaults.
    if stored["--recipe"] == nil { arguments += ["--recipe", RecipeName.paper.rawValue] }
    for (name, value) in stored.sorted(by: { $0.key < $1.key }) {
      if Self.flags.contains(name) {
        if value == "true" { arguments.append(name) }
      } else {
        arguments += [name, value]
      }
    }
    arguments += ["--resume", folder, "--workers", String(workers)]
    do {
      return try TrainCommand.parse(arguments)
    } catch {
      throw CommandError("--resume \(folder): the stored options no longer parse (\(error))")
    }
  }

  /// The `--name` options among `arguments` (values after `=` dropped).
  static func givenOptionNames(in arguments: [String]) -> Set<String> {
    Set(
      arguments.filter { $0.hasPrefix("--") }.map { argument in
        String(argument.split(separator: "=", maxSplits: 1).first ?? "")
      })
  }
}
