import EfficientNetModels
import Foundation
import WeightIO

/// Resolves `--model`, `--weights` and `--pretrained` into a loaded model.
enum ModelLoading {
  /// Loads `weights` (safetensors or PyTorch) for `model` (when nil: the named variant whose tensors
  /// fit the file); without `weights`, the shipped Lite0 for Lite0 (or no model), else the model's
  /// published weights (see ``PretrainedLoading``).
  static func load(model: String?, weights: String?) throws -> EfficientNet {
    try resolve(model: model, weights: weights).network
  }

  /// Like ``load(model:weights:)``, with the published weights when `pretrained` (or `entry`) asks
  /// for them, and the preprocessing those weights were measured with.
  static func resolve(model: String?, weights: String?, pretrained: Bool = false, entry: String? = nil)
    throws -> LoadedModel
  {
    let published = pretrained || entry != nil
    try PretrainedLoading.checkExclusive(pretrained: published, weights: weights)
    if try PretrainedLoading.usesPublishedWeights(model: model, weights: weights, pretrained: published) {
      let (file, found) = try PretrainedLoading.fetch(
        model: model ?? PretrainedModels.defaultModelName, entryName: entry)
      let network = try EfficientNet.load(configuration: try found.configuration(), contentsOf: file)
      return LoadedModel(
        network: network, preprocessing: found.preprocessing, entry: found, weightsFile: file.path)
    }
    guard let weights else {
      let configuration = try ModelRegistry.configuration(named: model ?? PretrainedModels.defaultModelName)
      let network = try EfficientNet(
        configuration: configuration, contentsOf: try PretrainedModels.lite0WeightsURL())
      return LoadedModel(network: network, preprocessing: nil, entry: nil, weightsFile: nil)
    }
    let url = URL(fileURLWithPath: weights)
    if let model {
      let network = try EfficientNet.load(
        configuration: try ModelRegistry.configuration(named: model), contentsOf: url)
      return LoadedModel(network: network, preprocessing: nil, entry: nil, weightsFile: weights)
    }
    let (network, note) = try EfficientNet.load(contentsOf: url)
    if let note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
    return LoadedModel(network: network, preprocessing: nil, entry: nil, weightsFile: weights)
  }
}

extension ModelLoading {
  /// The class names a trained model's safetensors file stores, when it holds one per class.
  static func storedClassNames(in weights: String?, classCount: Int) -> [String]? {
    guard let weights,
      case .safeTensors? = try? WeightFileFormat.of(contentsOf: URL(fileURLWithPath: weights)),
      let stored = try? SafeTensorsFile(contentsOf: URL(fileURLWithPath: weights)).classNames,
      stored.count == classCount
    else { return nil }
    return stored
  }

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
