import WeightIO

/// Finds which named EfficientNets a checkpoint fits, for conversion without a model name.
public enum CheckpointVariantMatching {
  /// The configurations of the named variants whose every tensor name and shape the checkpoint has
  /// exactly (class count and input channels taken from the checkpoint), best guess first.
  ///
  /// Some variants share every shape and differ only in padding and batch-norm epsilon:
  /// `efficientnet_lite0` and `tf_efficientnet_lite0`, `efficientnet_b0` and `tf_efficientnet_b0`.
  /// The PyTorch-convention variant comes first, except for lukemelas-named checkpoints with
  /// squeeze-and-excitation, whose B0–B7 weights are TensorFlow ports built with "SAME" padding and
  /// epsilon 1e-3 (the `tf_` variants). Callers should say which they chose when several match.
  ///
  /// - Parameters:
  ///   - checkpoint: the checkpoint to match.
  ///   - variants: the candidates; all named variants by default.
  /// - Returns: every matching configuration, best first; never empty.
  /// - Throws: ``CheckpointMappingError/unknownNaming(source:sampleNames:)``, or
  ///   ``CheckpointMappingError/noMatchingVariant(source:naming:closest:)`` saying why the nearest
  ///   candidate fails.
  public static func matchingConfigurations(
    for checkpoint: PyTorchCheckpoint, among variants: [Variant] = ModelRegistry.variants
  ) throws -> [Configuration] {
    let naming = try CheckpointNaming.detect(checkpoint.names, source: checkpoint.source)
    let names = checkpoint.names.filter { !$0.hasSuffix("num_batches_tracked") }
    var matches: [(variant: Variant, configuration: Configuration)] = []
    var closest: (problems: Int, text: String)?
    for variant in variants {
      let configuration = try variant.configuration.adapted(to: checkpoint)
      guard let architecture = try? configuration.resolve() else { continue }
      let table = naming.nameTable(for: architecture)
      var problems: [String] = []
      var tableNames = Set<String>()
      for (name, spec) in table {
        tableNames.insert(name)
        if let stored = checkpoint[name] {
          if stored.shape != spec.shape {
            problems.append("'\(name)' has shape \(stored.shape), not \(spec.shape)")
          }
        } else {
          problems.append("'\(name)' is missing")
        }
      }
      for name in names where !tableNames.contains(name) { problems.append("'\(name)' is unexpected") }
      if problems.isEmpty {
        matches.append((variant, configuration))
      } else if problems.count < closest?.problems ?? Int.max {
        closest = (problems.count, "\(variant.name), where \(problems[0]) (\(problems.count) differences)")
      }
    }
    guard !matches.isEmpty else {
      throw CheckpointMappingError.noMatchingVariant(
        source: checkpoint.source, naming: naming, closest: closest?.text ?? "no candidates")
    }
    let prefersTensorFlow = naming == .lukemelas && matches.contains { !$0.variant.isLite }
    let ordered = matches.enumerated().sorted { first, second in
      let firstPreferred = first.element.variant.isTensorFlow == prefersTensorFlow
      let secondPreferred = second.element.variant.isTensorFlow == prefersTensorFlow
      if firstPreferred != secondPreferred { return firstPreferred }
      return first.offset < second.offset
    }
    return ordered.map(\.element.configuration)
  }
}
