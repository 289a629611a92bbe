import ArgumentParser
import EfficientNetDetection
import EfficientNetExport
import EfficientNetModels
import Foundation

/// `efficientnet export`: a classifier to ONNX, checked by ONNX Runtime in the tests.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Export a classifier or a detector to ONNX (plain operators, batch norm folded, preprocessing in the metadata).",
    discussion: """
      MODEL_OR_WEIGHTS is a model name (its shipped or published weights) or a weights file (safetensors or .pth; \
      --model names its variant when the tensors alone do not). Without it, the shipped Lite0 is exported. \
      The graph takes `input`, NCHW float32 normalized as the metadata says (input_size, resize_shorter_side, \
      crop_fraction, interpolation, mean, std, class_names), and returns `logits`. TF "same" padding is written as \
      explicit pads at a fixed size and as auto_pad SAME_UPPER with --size dynamic; no Pad node either way.

      A detector (--model efficientdet-lite0, tf_efficientdet_d0, ... with its weights file) is written at a fixed \
      size (its own unless --size HxW) with effdet's outputs class_out.0-4 and box_out.0-4; anchors, box decoding \
      and NMS are not in the graph (the metadata gives the anchor settings; batch norms are always folded there). \
      --decode-boxes writes boxes [N, A, 4] (x1, y1, x2, y2 in input pixels) and scores [N, A, classes] instead.
      """)

  @Argument(help: "A model name or a weights file (default: the shipped efficientnet_lite0).")
  var modelOrWeights: String?

  @Option(name: .shortAndLong, help: "The .onnx file to write (default: MODEL.onnx here).")
  var output: String?

  @Option(name: .long, help: "The model the weights file belongs to (default: inferred from its tensors).")
  var model: String?

  @Option(name: .long, help: "ONNX operator set (13 to 21).")
  var opset: Int = 17

  @Option(name: .long, help: "The batch axis: dynamic (named `batch`) or a count.")
  var batch: String = "dynamic"

  @Option(name: .long, help: "The input size: HxW (default: the model's own) or dynamic.")
  var size: String?

  @Flag(
    name: .long, inversion: .prefixedNo,
    help: "Fold batch norms into the convolutions (default), or write BatchNormalization nodes.")
  var foldBatchNorm = true

  @Flag(
    name: .long,
    help:
      "For a detector: decode against the anchors into boxes [N, A, 4] and scores [N, A, classes] (NMS still left out)."
  )
  var decodeBoxes = false

  func validate() throws {
    if !ONNXExportOptions.supportedOpsets.contains(opset) {
      throw ValidationError("--opset must be 13 to 21, got \(opset)")
    }
    _ = try parsedBatch()
    _ = try parsedSize()
  }

  func parsedBatch() throws -> ONNXExportOptions.Batch {
    if batch == "dynamic" { return .dynamic }
    guard let count = Int(batch), count >= 1, count <= 65536 else {
      throw ValidationError("--batch must be dynamic or a count from 1 to 65536, got '\(batch)'")
    }
    return .fixed(count)
  }

  func parsedSize() throws -> ONNXExportOptions.Size? {
    guard let size else { return nil }
    if size == "dynamic" { return .dynamic }
    let parts = size.lowercased().split(separator: "x").map { Int($0) }
    guard parts.count == 2, let height = parts[0], let width = parts[1], (1...16384).contains(height),
      (1...16384).contains(width)
    else {
      throw ValidationError("--size must be HxW (each 1 to 16384) or dynamic, got '\(size)'")
    }
    return .fixed(height: height, width: width)
  }

  /// The options the flags give.
  func exportOptions() throws -> ONNXExportOptions {
    var options = ONNXExportOptions()
    options.opset = opset
    options.batch = try parsedBatch()
    options.size = try parsedSize()
    options.foldsBatchNorm = foldBatchNorm
    options.decodesBoxes = decodeBoxes
    return options
  }

  func run() throws {
    var weights: String?
    var modelName = model
    if let modelOrWeights {
      if FileManager.default.fileExists(atPath: modelOrWeights) {
        weights = modelOrWeights
      } else if modelName == nil {
        modelName = modelOrWeights
      } else {
        throw CommandError("\(modelOrWeights): no such weights file (and --model is given)")
      }
    }
    if let modelName, DetectorRegistry.isDetector(modelName) {
      return try exportDetector(modelName, weights: weights)
    }
    let loaded = try ModelLoading.resolve(model: modelName, weights: weights)
    let network = loaded.network
    let count = network.configuration.classCount
    let names =
      ModelLoading.storedClassNames(in: weights, classCount: count)
      ?? (count == 1000 ? try? PretrainedModels.imageNetClassNames() : nil)
    let data = try ONNXExport.classifier(
      network, classNames: names, preprocessing: loaded.preprocessing, options: try exportOptions())
    let destination = output ?? network.configuration.name + ".onnx"
    try ONNXExport.write(data, to: URL(fileURLWithPath: destination))
    FileHandle.standardError.write(
      Data(
        ("\(network.configuration.name) -> \(destination): opset \(opset), batch \(batch), size "
          + "\(size ?? "\(network.configuration.resolution)x\(network.configuration.resolution)"), "
          + "\(foldBatchNorm ? "batch norm folded" : "BatchNormalization nodes"), \(data.count) bytes\n").utf8
      ))
  }

  /// A detector's feature network and heads at a fixed size (anchors, decoding and NMS left out).
  private func exportDetector(_ name: String, weights: String?) throws {
    guard let weights else {
      throw CommandError(
        "\(name) is a detector: give its weights file (safetensors or .pth in effdet's names), e.g. a "
          + "train run's model.safetensors")
    }
    let detector = try EfficientDet.load(
      configuration: try DetectorRegistry.configuration(named: name),
      contentsOf: URL(fileURLWithPath: weights))
    let data = try ONNXExport.detector(
      detector, classNames: detector.classNames, options: try exportOptions())
    let destination = output ?? detector.configuration.name + ".onnx"
    try ONNXExport.write(data, to: URL(fileURLWithPath: destination))
    FileHandle.standardError.write(
      Data(
        ("\(detector.configuration.name) -> \(destination): opset \(opset), batch \(batch), "
          + (decodeBoxes
            ? "boxes and scores for every anchor (NMS not in the graph), "
            : "class_out.0-4 and box_out.0-4 (NCHW, P3 first; anchors, decoding and NMS not in the graph), ")
          + "\(data.count) bytes\n").utf8))
  }
}
