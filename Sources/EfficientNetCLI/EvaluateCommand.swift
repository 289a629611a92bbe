import ArgumentParser
import EfficientNetDetection
import EfficientNetModels
import EfficientNetTraining
import Foundation

/// `efficientnet evaluate`: accuracy, loss, per-class accuracy and confusion matrix on a dataset.
struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract:
      "Evaluate a model on a labeled dataset: top-1, top-5, mean loss, per-class accuracy, confusion matrix; a detector: COCO's AP and AR."
  )

  @Option(name: .long, help: "Model name or alias (default: inferred from --weights).")
  var model: String?

  @Option(name: .long, help: "Weights: safetensors or a PyTorch .pth/.pt.")
  var weights: String

  @Option(
    name: .long,
    help:
      "An image folder (ROOT/CLASS/*.jpg|png), a .csv / .csv.gz of pixel rows, or for a detector a COCO-format annotation file (.json)."
  )
  var data: String

  @Option(name: .long, help: "Detectors: the folder of the annotation file's images (default: beside it).")
  var images: String?

  @Option(name: .long, help: "Input resolution (default: the model's).")
  var resolution: Int?

  @Option(name: .long, help: "Center-crop fraction (default: the model's; 1 resizes whole images).")
  var cropFraction: Double?

  @Option(name: .long, help: "Images per batch.")
  var batchSize = 32

  @Option(
    name: .long,
    help: "Binary tasks: call a sample positive when the positive class's probability is at least T.")
  var threshold: Double = 0.5

  @Option(name: .long, help: "Binary tasks: the positive class, by name or index (default: class 1).")
  var positiveClass: String?

  @Flag(name: .long, help: "Print one JSON object.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write DIR/confusion-matrix.svg and, for two classes, DIR/roc.svg (DIR is created when missing).",
      valueName: "DIR"))
  var plot: String?

  func validate() throws {
    try FlagLimits.check(batchSize, in: FlagLimits.batch, "--batch-size")
    try FlagLimits.check(resolution, in: FlagLimits.resolution, "--resolution")
    if let cropFraction, !(cropFraction > 0 && cropFraction <= 1) {
      throw ValidationError("--crop-fraction must be in (0, 1], got \(cropFraction)")
    }
    if !(0...1).contains(threshold) {
      throw ValidationError("--threshold must be in [0, 1], got \(threshold)")
    }
  }

  /// The positive class's index: `--positive-class` as a class name, else as an index; class 1 by default.
  static func positiveIndex(_ text: String?, classNames: [String]) throws -> Int {
    guard let text else { return 1 }
    if let index = classNames.firstIndex(of: text) { return index }
    if let index = Int(text), classNames.indices.contains(index) { return index }
    throw CommandError(
      "--positive-class \(text): neither a class name (\(classNames.joined(separator: ", "))) nor an index")
  }

  @OptionGroup var computeDevice: DeviceOptions

  func run() throws {
    try computeDevice.requireCPUEngine()
    if let model, DetectorRegistry.isDetector(model) { return try runDetector(model) }
    let plotFolder = try plot.map(Self.plotFolder)
    let loaded = try ModelLoading.resolve(model: model, weights: weights)
    let network = loaded.network
    let dataset = try DatasetOpening.open(data)
    let configuration = network.configuration
    guard dataset.classNames.count == configuration.classCount else {
      throw CommandError(
        "\(data) has \(dataset.classNames.count) classes \(ClassList.text(dataset.classNames)) but the model "
          + "(\(ModelLoading.weightsName(weights))) has \(configuration.classCount); evaluate a model trained on "
          + "these classes")
    }
    try MachineMemory.require(
      network.architecture, batch: batchSize, side: resolution ?? configuration.resolution, training: false)
    // Published weights are evaluated as their publisher measured them (size, crop, filter, mean/std).
    let preprocessing = loaded.preprocessing ?? configuration.preprocessing
    let augmentation = AugmentationConfiguration.evaluation(
      resolution: resolution ?? preprocessing.resolution, outputChannels: configuration.inputChannels,
      cropFraction: cropFraction ?? preprocessing.cropFraction, interpolation: preprocessing.interpolation,
      mean: preprocessing.mean, standardDeviation: preprocessing.standardDeviation)
    let loader = DataLoader(
      dataset: dataset, batchSize: batchSize, shuffle: false, augmentation: augmentation, seed: 0)
    let metrics = try ModelLoading.attributingOverflow(to: weights) {
      try Evaluation.run(model: network, data: loader, recordingScores: true)
    }
    for failure in loader.failures {
      FileHandle.standardError.write(Data("error: \(failure.source): \(failure.message)\n".utf8))
    }
    let names =
      dataset.classNames + (dataset.classNames.count..<configuration.classCount).map { "class \($0)" }
    let auc = metrics.rocAUC ?? OneVersusRestAUC(perClass: [])
    // Binary: the dataset has two classes (the model may have more outputs).
    let binary =
      dataset.classNames.count == 2
      ? metrics.thresholdMetrics(
        positiveClass: try Self.positiveIndex(positiveClass, classNames: dataset.classNames),
        threshold: threshold) : nil
    func optional(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
    if json {
      var object: [String: Any] = [
        "samples": metrics.count, "top1": metrics.top1, "top5": metrics.top5, "loss": metrics.meanLoss,
        "classes": names,
        "per_class_accuracy": metrics.perClassAccuracy.map { $0 as Any? ?? NSNull() },
        "confusion_matrix": metrics.confusion,
        "roc_auc_per_class": auc.perClass.map(optional), "roc_auc_macro": optional(auc.macroAverage),
      ]
      if let binary {
        object["binary"] =
          [
            "positive_class": names[try Self.positiveIndex(positiveClass, classNames: dataset.classNames)],
            "threshold": binary.threshold, "sensitivity": optional(binary.sensitivity),
            "specificity": optional(binary.specificity), "true_positives": binary.truePositives,
            "false_negatives": binary.falseNegatives, "true_negatives": binary.trueNegatives,
            "false_positives": binary.falsePositives,
          ] as [String: Any]
      }
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(
        String(
          format: "samples %d  top-1 %.2f%%  top-5 %.2f%%  loss %.4f", metrics.count, metrics.top1 * 100,
          metrics.top5 * 100, metrics.meanLoss))
      print("per-class accuracy and one-vs-rest ROC AUC:")
      for (index, accuracy) in metrics.perClassAccuracy.enumerated() where index < dataset.classNames.count {
        let text = accuracy.map { String(format: "%6.2f%%", $0 * 100) } ?? "   n/a"
        let aucText = auc.perClass[index].map { String(format: "%.4f", $0) } ?? "   n/a"
        print("  \(text)  AUC \(aucText)  \(names[index])")
      }
      print("ROC AUC (macro, one-vs-rest): " + (auc.macroAverage.map { String(format: "%.4f", $0) } ?? "n/a"))
      if let binary {
        let positive = names[try Self.positiveIndex(positiveClass, classNames: dataset.classNames)]
        print(
          "positive class \(positive), threshold \(binary.threshold): sensitivity "
            + (binary.sensitivity.map { String(format: "%.4f", $0) } ?? "n/a") + "  specificity "
            + (binary.specificity.map { String(format: "%.4f", $0) } ?? "n/a")
            + "  (TP \(binary.truePositives) FN \(binary.falseNegatives) TN \(binary.trueNegatives) "
            + "FP \(binary.falsePositives))")
      }
      print("confusion matrix (rows: true class, columns: predicted):")
      for row in metrics.confusion.prefix(dataset.classNames.count) {
        print(
          "  " + row.prefix(dataset.classNames.count).map { String(format: "%5d", $0) }.joined(separator: " ")
        )
      }
    }
    if let plotFolder {
      let written = try Self.writePlots(
        metrics: metrics, classNames: Array(names.prefix(dataset.classNames.count)),
        positiveClass: binary == nil
          ? nil : try Self.positiveIndex(positiveClass, classNames: dataset.classNames),
        dataName: URL(fileURLWithPath: data).lastPathComponent, to: plotFolder)
      for url in written {
        // Standard output stays one JSON object with --json.
        if json {
          FileHandle.standardError.write(Data("plot written to \(url.path)\n".utf8))
        } else {
          print("plot written to \(url.path)")
        }
      }
    }
    if !loader.failures.isEmpty { throw ExitCode(1) }
  }
}
