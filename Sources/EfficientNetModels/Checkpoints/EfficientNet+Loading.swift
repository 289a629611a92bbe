import Foundation
import WeightIO

extension EfficientNet {
  /// Loads a weights file of either format without being told the model: safetensors written by this
  /// package name their model in the metadata; otherwise the named variant whose tensor names and
  /// shapes fit the file is chosen (the PyTorch-convention twin first; see
  /// ``CheckpointVariantMatching``).
  ///
  /// Every weight is checked with ``WeightValueValidation`` (finite; running variances ≥ 0).
  /// - Returns: the model and, when several variants fit, a note saying which was chosen.
  public static func load(contentsOf url: URL) throws -> (model: EfficientNet, note: String?) {
    switch try WeightFileFormat.of(contentsOf: url) {
    case .pyTorch:
      let checkpoint = try PyTorchCheckpoint(contentsOf: url)
      let candidates = try CheckpointVariantMatching.matchingConfigurations(for: checkpoint)
      let chosen = candidates[0]
      let model = try EfficientNet(architecture: try chosen.resolve(), checkpoint: checkpoint)
      return (model, note(chosen: chosen, candidates: candidates, source: checkpoint.source))
    case .safeTensors:
      let file = try SafeTensorsFile(contentsOf: url)
      try WeightValueValidation.check(file.tensors, source: file.source)
      // Written by this package: the header describes the network (also a model that is not a named
      // variant, e.g. custom coefficients or blocks), or at least names it.
      if let configuration = Configuration(architectureMetadata: file.metadata),
        let model = try? EfficientNet(architecture: try configuration.adapted(to: file).resolve(), file: file)
      {
        return (model, nil)
      }
      if let name = file.metadata["model"], let configuration = try? ModelRegistry.configuration(named: name),
        let model = try? EfficientNet(architecture: try configuration.adapted(to: file).resolve(), file: file)
      {
        return (model, nil)
      }
      var candidates: [Configuration] = []
      for variant in ModelRegistry.variants {
        let configuration = variant.configuration.adapted(to: file)
        guard let architecture = try? configuration.resolve() else { continue }
        let specs = architecture.parameterSpecs()
        let fits =
          specs.allSatisfy { file[$0.name]?.shape == $0.shape }
          && file.names.filter { !$0.hasSuffix("num_batches_tracked") }.count == specs.count
        if fits { candidates.append(configuration) }
      }
      guard let chosen = candidates.first else {
        throw CheckpointMappingError.noMatchingVariant(
          source: file.source, naming: .timm,
          closest: "no named variant has exactly these tensors; pass --model")
      }
      let model = try EfficientNet(architecture: try chosen.resolve(), file: file)
      return (model, note(chosen: chosen, candidates: candidates, source: file.source))
    }
  }

  private static func note(chosen: Configuration, candidates: [Configuration], source: String) -> String? {
    guard candidates.count > 1 else { return nil }
    let others = candidates.dropFirst().map(\.name).joined(separator: ", ")
    return
      "\(source): its tensors fit \(chosen.name) and also \(others); using \(chosen.name) (pass --model to choose)"
  }
}
