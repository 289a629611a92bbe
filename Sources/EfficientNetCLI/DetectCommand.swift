import ArgumentParser
import EfficientNetDetection
import EfficientNetImageIO
import EfficientNetKernels
import EfficientNetModels
import EfficientNetServing
import Foundation
import WeightIO

/// `efficientnet detect`: the objects in images, with an EfficientDet and its weights.
struct DetectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "detect",
    abstract: "Detect objects in JPEG and PNG images with an EfficientDet (effdet-named weights).",
    discussion: """
      Each PATH is an image file or a folder (every .jpg, .jpeg, .png and .dcm inside, recursively). Images are letterboxed as effdet evaluates them (scaled to fit the detector's input, bilinear, padded with the mean colour at the bottom and right); boxes are reported in the original image's pixels as x1 y1 x2 y2. Class names come from the weights file (a training run stores them), else COCO's for 90 classes. A file that fails to decode is reported and skipped; the exit status is 1 when any failed.
      """)

  @Option(
    name: .long, help: "Detector name (e.g. tf_efficientdet_d0, efficientdet-lite0; see `info --detectors`).")
  var model: String = "tf_efficientdet_d0"

  @Option(name: .long, help: "Weights in effdet's state-dict names: safetensors or a PyTorch .pth.")
  var weights: String

  @Option(name: .long, help: "Report objects scoring at least this (0 to 1).")
  var scoreThreshold: Float = 0.3

  @Flag(name: .long, help: "Soft-NMS (Gaussian, sigma 0.5) instead of hard NMS at IoU 0.5.")
  var softNMS = false

  @Flag(
    name: .long,
    help: "Print one JSON object per image: file, width, height, objects [{class, label, score, box}].")
  var json = false

  @Option(name: .long, help: "Also write each image with its boxes and labels as DIR/<name>.png.")
  var draw: String?

  @Option(name: .long, help: "Threads to use (default: all cores).")
  var threads: Int?

  @Argument(help: "Image files or folders.")
  var paths: [String]

  func validate() throws {
    guard scoreThreshold.isFinite, (0...1).contains(scoreThreshold) else {
      throw ValidationError("--score-threshold must be in 0...1, got \(scoreThreshold)")
    }
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
    if paths.isEmpty { throw ValidationError("give at least one image file or folder") }
    guard DetectorRegistry.isDetector(model) else {
      throw ValidationError(
        "--model \(model) is a classifier; detect takes a detector (see `efficientnet info --detectors`)")
    }
  }

  func run() throws {
    if let threads { ComputePool.shared.threadCount = threads }
    let drawFolder = try draw.map(Self.drawFolder)
    let url = URL(fileURLWithPath: weights)
    let model = try EfficientDet.load(
      configuration: try DetectorRegistry.configuration(named: self.model), contentsOf: url)
    let detector = ObjectDetector(model: model)
    if softNMS { detector.decoding.suppression = .soft }
    let files = try ImageFiles.collect(paths)
    try ImageFileLoop.run(files, label: "detect", verb: "detected in") { file in
      let image = try ImageDecoder.decode(contentsOf: file)
      let objects = try ModelLoading.attributingOverflow(to: weights) {
        try detector.detect(image, minimumScore: scoreThreshold)
      }
      if let drawFolder {
        let drawn = DetectionDrawing.draw(objects, on: image, labels: objects.map { detector.className($0) })
        let target = drawFolder.appendingPathComponent(
          file.deletingPathExtension().lastPathComponent + ".png")
        try PNGEncoder.write(drawn, to: target)
      }
      return json ? try jsonLine(file, image, objects, detector) : textBlock(file, objects, detector)
    }
  }

  /// `--draw DIR`, created when missing; anything but a folder there is an error naming the flag.
  static func drawFolder(_ path: String) throws -> URL {
    let folder = try OutputFolder.check(path, flag: "--draw", purpose: "the drawn images")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  private func textBlock(_ file: URL, _ objects: [Detection], _ detector: ObjectDetector) -> String {
    var lines = ["\(file.path): \(objects.count) object\(objects.count == 1 ? "" : "s")"]
    for object in objects {
      let box = object.box
      lines.append(
        String(
          format: "  %-16@ %.3f  [%.1f, %.1f, %.1f, %.1f]", detector.className(object) as NSString,
          object.score, box[0], box[1], box[2], box[3]))
    }
    return lines.joined(separator: "\n")
  }

  private func jsonLine(
    _ file: URL, _ image: DecodedImage, _ objects: [Detection], _ detector: ObjectDetector
  ) throws -> String {
    try ReportJSON.line(
      DetectionReport(file: file.path, image: image, detections: objects, className: detector.className))
  }
}
