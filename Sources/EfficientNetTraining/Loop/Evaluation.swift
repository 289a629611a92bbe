import EfficientNetModels

/// Evaluation of a model over a data loader.
public enum Evaluation {
  /// Runs `model` in inference mode over every batch of epoch 0 of `data` and accumulates the metrics.
  ///
  /// - Parameters:
  ///   - model: the model.
  ///   - data: the samples (no augmentation expected).
  ///   - recordingScores: keep each sample's probabilities, for ROC AUC and thresholds.
  public static func run(model: EfficientNet, data: DataLoader, recordingScores: Bool = false) throws
    -> EvaluationMetrics
  {
    let engine = InferenceEngine(model: model)
    var metrics = EvaluationMetrics(
      classCount: model.configuration.classCount, recordingScores: recordingScores)
    for batch in data.batches(epoch: 0) where !batch.labels.isEmpty {
      guard let logits = try engine.evaluate(batch.images).logits else { break }
      metrics.add(logits: logits.scalars, labels: batch.labels)
    }
    return metrics
  }
}
