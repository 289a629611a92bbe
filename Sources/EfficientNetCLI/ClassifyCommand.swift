import ArgumentParser
import EfficientNetCUDA
import EfficientNetFiles
import EfficientNetImageIO
import EfficientNetKernels
import EfficientNetModels
import EfficientNetServing
import Foundation
import WeightIO

/// `efficientnet classify`: top-K classes of images, with the shipped pretrained Lite0 by default.
struct ClassifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Classify JPEG and PNG images (default: the shipped pretrained EfficientNet-Lite0, ImageNet).",
    discussion: """
      Each PATH is an image file or a folder (every .jpg, .jpeg, .png and .dcm DICOM inside, recursively, in name order). A file that fails to decode is reported and skipped; the exit status is 1 when any failed. Preprocessing is timm's evaluation transform for the model (resize, center crop, normalize), or for published weights (--pretrained) the one their entry in `efficientnet weights` records.
      """)

  @Option(name: .long, help: "Model name or alias (default: efficientnet_lite0, or inferred from --weights).")
  var model: String?

  @Option(
    name: .long,
    help:
      "Weights: safetensors or a PyTorch .pth/.pt (default: the shipped Lite0, else --model's published weights)."
  )
  var weights: String?

  @OptionGroup var published: PretrainedOptions

  @OptionGroup var computeDevice: DeviceOptions

  @Option(
    name: .long,
    help:
      "A text file with one class name per line (default: the names a training run stored, else ImageNet's for 1000 classes)."
  )
  var labels: String?

  @Option(name: .long, help: "How many classes to show per image.")
  var top: Int = 5

  @Flag(name: .long, help: "Print one JSON object per image (file, top: [{class, label, probability}]).")
  var json = false

  @Option(name: .long, help: "Threads to use (default: all cores).")
  var threads: Int?

  @Argument(help: "Image files or folders.")
  var paths: [String]

  func validate() throws {
    try FlagLimits.check(top, in: 1...ArchitectureLimits.maximumClassCount, "--top")
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    if paths.isEmpty { throw ValidationError("give at least one image file or folder") }
  }

  func run() throws {
    let gpu = try computeDevice.gpu()
    if let threads { ComputePool.shared.threadCount = threads }
    let (classifier, weightsFile, network) = try makeClassifier()
    let engine = try gpu.map { try computeDevice.engine(for: network, on: $0) }
    let files = try ImageFiles.collect(paths)
    try ImageFileLoop.run(files, label: "classify", verb: "classified") { file in
      let predictions = try ModelLoading.attributingOverflow(to: weightsFile) {
        guard let engine else { return try classifier.classify(contentsOf: file, top: top) }
        let image = try ImageDecoder.decode(contentsOf: file)
        guard let logits = try engine.evaluate(classifier.inputTensor(for: image)).logits else {
          throw CommandError("the model has no classifier")
        }
        return try classifier.predictions(logits: logits, top: top)
      }
      return json ? try jsonLine(file: file, predictions) : textBlock(file: file, predictions)
    }
  }

  /// The classifier, and its weights file as messages name it.
  private func makeClassifier() throws -> (ImageClassifier, String?, EfficientNet) {
    var names: [String]?
    if let labels {
      let text: String
      do {
        text = try RegularFile.text(of: URL(fileURLWithPath: labels))
      } catch {
        throw CommandError("--labels \(error)")
      }
      names = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
    let loaded = try ModelLoading.resolve(
      model: model, weights: weights, pretrained: published.pretrained, entry: published.entry)
    let network = loaded.network
    if names == nil {
      // A trained model's own class names.
      names = ModelLoading.storedClassNames(in: weights, classCount: network.configuration.classCount)
    }
    let classifier = try ImageClassifier(model: network, labels: names)
    // Published weights are run with the transform they were measured with (resize, crop, filter,
    // mean/std), which may differ from the variant's defaults.
    if let preprocessing = loaded.preprocessing { classifier.preprocessing = preprocessing }
    return (classifier, loaded.weightsFile, network)
  }

  private func textBlock(file: URL, _ predictions: [Prediction]) -> String {
    var lines = [file.path]
    for prediction in predictions {
      lines.append(
        String(format: "  %6.2f%%  %4d  ", prediction.probability * 100, prediction.classIndex)
          + prediction.label)
    }
    return lines.joined(separator: "\n")
  }

  private func jsonLine(file: URL, _ predictions: [Prediction]) throws -> String {
    try ReportJSON.line(ClassificationReport(file: file.path, predictions: predictions))
  }
}

/// Finds the image files a command was given.
enum ImageFiles {
  static let extensions: Set<String> = ["jpg", "jpeg", "png", "dcm", "dicom"]

  /// Files as given; folders expanded to their images (recursively, sorted by path).
  static func collect(_ paths: [String]) throws -> [URL] {
    var files: [URL] = []
    for path in paths {
      let kind = FileKind.of(path)
      switch kind {
      case .absent: throw CommandError("\(path): no such file or folder")
      case .symbolicLinkLoop, .inaccessible: throw CommandError("\(path): \(kind.phrase)")
      default: break
      }
      let url = URL(fileURLWithPath: path)
      if kind != .directory {
        files.append(url)
        continue
      }
      guard
        let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
      else { throw CommandError("\(path): cannot list the folder") }
      var found: [URL] = []
      for case let file as URL in walker where extensions.contains(file.pathExtension.lowercased()) {
        found.append(file)
      }
      if found.isEmpty { throw CommandError("\(path): no .jpg, .jpeg, .png or .dcm images in this folder") }
      files += found.sorted { $0.path < $1.path }
    }
    return files
  }
}
