import ArgumentParser
import EfficientNetExport
import EfficientNetFiles
import EfficientNetModels
import Foundation
import WeightIO

/// `efficientnet convert`: any supported weights file to timm-named safetensors.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract:
      "Convert weights (PyTorch .pth/.pt in timm, torchvision or lukemelas names, or safetensors) to timm-named safetensors.",
    discussion: """
      The input's format and naming scheme are detected. Without --model, the named variant whose tensors fit the file is chosen (and said). The output is written atomically.

      An ONNX file (.onnx: timm's export through torch.onnx, or ours) is read by its graph's structure, convolution by convolution; --model names the variant unless the file's metadata does (ours do). A graph that does not fit is an error naming its first node that could not be mapped.
      """)

  @Argument(help: "The weights to convert.")
  var input: String

  @Argument(help: "The safetensors file to write.")
  var output: String

  @Option(name: .long, help: "The model the weights belong to (default: inferred from the tensors).")
  var model: String?

  @Flag(name: .long, help: "Store F16 instead of F32 (half the size).")
  var half = false

  func run() throws {
    if input.lowercased().hasSuffix(".onnx") { return try convertONNX() }
    let network = try ModelLoading.load(model: model, weights: input)
    try network.safeTensors(as: half ? .float16 : .float32).write(to: URL(fileURLWithPath: output))
    let message =
      "\(input) -> \(output): \(network.configuration.name), \(network.specs.count) tensors, "
      + "\(network.parameterCount) parameters, \(network.configuration.classCount) classes, \(half ? "F16" : "F32")\n"
    FileHandle.standardError.write(Data(message.utf8))
  }

  /// An EfficientNet ONNX graph's weights as timm-named safetensors, with its class names when the
  /// metadata has them.
  private func convertONNX() throws {
    let data = try RegularFile.contents(of: URL(fileURLWithPath: input), maximumByteCount: 4 << 30)
    let file = try ONNXModelFile(data: data, source: input)
    let metadata = file.metadata
    let configuration: Configuration
    if let model {
      configuration = try ModelRegistry.configuration(named: model)
    } else if let stored = ONNXImport.configuration(fromMetadata: metadata) {
      configuration = stored  // our export's whole architecture: no named variant needed
    } else if let name = metadata["model"] {
      configuration = try ModelRegistry.configuration(named: name)
    } else {
      throw CommandError(
        "\(input): give --model (the variant the graph is, e.g. efficientnet_b0); its metadata names none")
    }
    let network = try ONNXImport.network(from: file, configuration: configuration)
    let names = metadata["class_names"].flatMap {
      try? JSONDecoder().decode([String].self, from: Data($0.utf8))
    }
    try network.safeTensors(as: half ? .float16 : .float32, classNames: names).write(
      to: URL(fileURLWithPath: output))
    FileHandle.standardError.write(
      Data(
        ("\(input) -> \(output): \(network.configuration.name) from its ONNX graph, \(network.specs.count) tensors, "
          + "\(network.parameterCount) parameters\(names.map { ", \($0.count) class names" } ?? "")\n").utf8))
  }
}
