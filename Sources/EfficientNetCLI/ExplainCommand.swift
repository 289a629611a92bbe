import ArgumentParser
import EfficientNetImageIO
import EfficientNetKernels
import EfficientNetModels
import Foundation

/// `efficientnet explain`: a Grad-CAM heat map of one class, drawn over the image as a PNG.
struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Draw a Grad-CAM heat map of what raised a class's score over the image (PNG).",
    discussion: """
      The image is preprocessed with the model's evaluation transform (resize, center crop, normalize). Grad-CAM weighs the head's activated output (timm's bn2, the default) or the last MBConv block's output (--layer last-block) by the mean gradient of the class's logit, keeps the positive part, normalizes it to [0, 1], upsamples it bilinearly to the crop and maps it back onto the original image. The output has the original image's size: heat (a blue-to-red ramp) blended over the crop the model saw; the pixels outside the crop are darkened.
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

  @Option(name: .long, help: "The PNG file to write.")
  var output: String

  @Option(name: .customLong("class"), help: "The class to explain (default: the top-1 prediction).")
  var classIndex: Int?

  @Option(name: .long, help: "The heat colour's weight over the image, 0 to 1.")
  var alpha: Float = 0.5

  @Option(name: .long, help: "The layer to weigh: head (timm's bn2 output) or last-block (blocks[-1]).")
  var layer: String = GradCAMLayer.head.rawValue

  @Option(name: .long, help: "Threads to use (default: all cores).")
  var threads: Int?

  @Argument(help: "The image file (JPEG, PNG or DICOM).")
  var image: String

  func validate() throws {
    if !(alpha >= 0 && alpha <= 1) { throw ValidationError("--alpha must be in [0, 1], got \(alpha)") }
    if let classIndex, classIndex < 0 {
      throw ValidationError("--class must be at least 0, got \(classIndex)")
    }
    if GradCAMLayer(rawValue: layer) == nil {
      let names = GradCAMLayer.allCases.map(\.rawValue).joined(separator: ", ")
      throw ValidationError("--layer must be one of \(names), got \(layer)")
    }
    try FlagLimits.check(threads, in: FlagLimits.threads, "--threads")
  }

  func run() throws {
    if let threads { ComputePool.shared.threadCount = threads }
    let loaded = try ModelLoading.resolve(
      model: model, weights: weights, pretrained: published.pretrained, entry: published.entry)
    let network = loaded.network
    let classCount = network.configuration.classCount
    if let classIndex, classIndex >= classCount {
      throw CommandError("--class \(classIndex) is outside the model's classes 0..<\(classCount)")
    }
    let explainer = try GradCAM(model: network, layer: GradCAMLayer(rawValue: layer) ?? .head)
    if let preprocessing = loaded.preprocessing { explainer.preprocessing = preprocessing }
    let decoded = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: image))
    let map = try ModelLoading.attributingOverflow(to: loaded.weightsFile) {
      try explainer.explain(decoded, classIndex: classIndex)
    }
    let projected = map.projected(
      imageWidth: decoded.width, imageHeight: decoded.height, preprocessing: explainer.preprocessing)
    let overlay = HeatMapRenderer.overlay(projected, on: decoded, alpha: alpha)
    try PNGEncoder.write(overlay, to: URL(fileURLWithPath: output))
    let label = explainer.labels[map.classIndex]
    print(
      "\(image): class \(map.classIndex) (\(label)), logit "
        + String(format: "%.3f, probability %.2f%%", map.score, map.probability * 100)
        + "; Grad-CAM on \(map.layer.rawValue) (\(map.layer.moduleName(in: network.layout)), \(map.coarseWidth)×\(map.coarseHeight)) drawn over "
        + "\(decoded.width)×\(decoded.height) → \(output)")
  }
}
