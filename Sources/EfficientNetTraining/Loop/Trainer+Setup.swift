/// What a training loop builds from its settings before the first step: the parameters the
/// optimizer updates (with their layer-wise rates) and the optimizer. ``Trainer`` and
/// ``LearningRateFinder`` share it, so a sweep trains exactly as the run would.
extension Trainer {
  /// The trainable parameters of `graph` (each with its layer-decay or backbone rate scale) and the
  /// classifier's among them (all that trains while the backbone is frozen).
  static func trainableParameters(of graph: TrainingGraph, settings: TrainingSettings) -> (
    all: [TrainableParameter], classifier: [TrainableParameter]
  ) {
    let store = graph.parameters
    let trainable = store.specs.filter { $0.role.isTrainable }
    let scales = LayerDecay.learningRateScales(
      specs: trainable, layerDecay: settings.layerDecay, backboneScale: settings.backboneLearningRateScale)
    let all = trainable.map { spec in
      let parameter = TrainableParameter(
        name: spec.name, shape: spec.shape, valueBuffer: store.values[spec.name]!.buffer,
        gradientBuffer: store.gradients[spec.name]!.buffer,
        decays: TrainableParameter.decaysByDefault(name: spec.name, shape: spec.shape), owner: store)
      parameter.learningRateScale = scales[spec.name] ?? 1
      return parameter
    }
    let classifierNames = Set(trainable.filter(LayerDecay.isClassifier).map(\.name))
    return (all, all.filter { classifierNames.contains($0.name) })
  }

  /// The optimizer `settings` name, with its momentum and weight decay.
  static func makeOptimizer(_ settings: TrainingSettings) -> any Optimizer {
    switch settings.optimizer {
    case .sgd:
      return SGD(momentum: settings.momentum, nesterov: settings.nesterov, weightDecay: settings.weightDecay)
    case .rmsprop:
      return RMSPropTF(momentum: settings.momentum, weightDecay: settings.weightDecay)
    case .adamw:
      return AdamW(weightDecay: settings.weightDecay)
    }
  }
}
