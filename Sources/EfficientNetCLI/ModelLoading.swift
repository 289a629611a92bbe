import EfficientNetModels
import Foundation

/// Resolves `--model` and `--weights` into a loaded model.
enum ModelLoading {
  /// Loads `weights` (safetensors or PyTorch; the shipped Lite0 when nil) for `model` (when nil: Lite0
  /// for the shipped weights, otherwise the named variant whose tensors fit the file).
  static func load(model: String?, weights: String?) throws -> EfficientNet {
    guard let weights else {
      let name = model ?? PretrainedModels.defaultModelName
      let configuration = try ModelRegistry.configuration(named: name)
      guard configuration.name == PretrainedModels.defaultModelName else {
        throw CommandError(
          "only \(PretrainedModels.defaultModelName) ships with pretrained weights; pass --weights for \(name)"
        )
      }
      return try EfficientNet(
        configuration: configuration, contentsOf: try PretrainedModels.lite0WeightsURL())
    }
    let url = URL(fileURLWithPath: weights)
    if let model {
      return try EfficientNet.load(
        configuration: try ModelRegistry.configuration(named: model), contentsOf: url)
    }
    let (network, note) = try EfficientNet.load(contentsOf: url)
    if let note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
    return network
  }
}

extension ModelLoading {
  /// The weights a command runs, as its messages name them: `--weights`, or the shipped file.
  static func weightsName(_ weights: String?) -> String {
    weights ?? ((try? PretrainedModels.lite0WeightsURL().path) ?? PretrainedModels.defaultModelName)
  }

  /// Runs `body`; an overflow inside the network (finite weights, finite input, NaN out) is rethrown
  /// naming the weights file, and never printed as a score.
  static func attributingOverflow<Result>(to weights: String?, _ body: () throws -> Result) throws -> Result {
    do {
      return try body()
    } catch let error as ModelError {
      if case .nonFiniteOutput = error { throw CommandError("\(weightsName(weights)): \(error)") }
      throw error
    }
  }
}
