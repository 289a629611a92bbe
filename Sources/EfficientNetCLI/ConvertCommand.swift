import ArgumentParser
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
    let network = try ModelLoading.load(model: model, weights: input)
    try network.safeTensors(as: half ? .float16 : .float32).write(to: URL(fileURLWithPath: output))
    let message =
      "\(input) -> \(output): \(network.configuration.name), \(network.specs.count) tensors, "
      + "\(network.parameterCount) parameters, \(network.configuration.classCount) classes, \(half ? "F16" : "F32")\n"
    FileHandle.standardError.write(Data(message.utf8))
  }
}
