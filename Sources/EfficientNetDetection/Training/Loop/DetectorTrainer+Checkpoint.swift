import EfficientNetTraining

extension DetectorTrainer {
  /// The run as a ``TrainingCheckpoint``: the detector's tensors under effdet's names (running
  /// statistics included), AdamW's moments and step, and, for an epoch stopped before its end,
  /// where it stands (``DetectorEpochPosition``), beside `metadata`.
  ///
  /// - Parameters:
  ///   - completedEpochs: epochs finished.
  ///   - position: the unfinished epoch's position, nil at an epoch's end.
  public func checkpoint(
    completedEpochs: Int, position: DetectorEpochPosition?, metadata: [String: String]
  ) throws -> TrainingCheckpoint {
    let state = optimizer.state
    var stored = metadata
    stored.merge(state.metadata()) { _, optimizer in optimizer }
    if let position { stored.merge(position.metadata) { _, position in position } }
    return TrainingCheckpoint(
      model: try model().stateDictionary, state: state.tensors(), epoch: completedEpochs, step: step,
      metadata: stored)
  }

  /// Puts AdamW's moments and the step count back from `checkpoint` (the detector's tensors are read
  /// into the model this trainer was made with).
  ///
  /// - Returns: the position of an epoch stopped before its end, nil when the last one finished.
  /// - Throws: the optimizer's error when its state does not fit this detector's parameters, or
  ///   ``DetectorTrainingError/invalidCheckpoint(_:)``.
  public func restore(_ checkpoint: TrainingCheckpoint) throws -> DetectorEpochPosition? {
    try optimizer.restore(
      OptimizerState(tensors: checkpoint.state, metadata: checkpoint.metadata), parameters: parameters)
    step = checkpoint.step
    let position = try DetectorEpochPosition(metadata: checkpoint.metadata)
    if let position, position.epoch != checkpoint.epoch + 1 {
      throw DetectorTrainingError.invalidCheckpoint(
        "its unfinished epoch \(position.epoch) does not follow the \(checkpoint.epoch) completed")
    }
    return position
  }
}
