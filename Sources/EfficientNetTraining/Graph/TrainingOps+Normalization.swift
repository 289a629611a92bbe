import EfficientNetKernels
import Foundation

extension TrainingOps {
  // MARK: Batch norm (training mode)

  /// Batch norm over `positions` rows of `channels` (at least 2): normalizes with the batch mean and
  /// biased variance, writes `y = x̂·γ + β`, saves mean and 1/σ, and updates the running statistics
  /// with PyTorch's rule (`momentum` weight on the batch; unbiased variance for the running update).
  static func batchNormForward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, epsilon: Double, momentum: Double, runningMean: UnsafeMutablePointer<Float>,
    runningVariance: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>,
    savedInverseDeviation: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>,
    activation: Activation = .identity, activated: UnsafeMutablePointer<Float>? = nil, pool: ComputePool
  ) {
    let count = positions * channels
    BatchNormalization.trainingForward(
      input: UnsafeBufferPointer(start: x, count: count), rows: positions, channels: channels,
      scale: UnsafeBufferPointer(start: gamma, count: channels),
      shift: UnsafeBufferPointer(start: beta, count: channels),
      epsilon: Float(epsilon), output: UnsafeMutableBufferPointer(start: y, count: count),
      savedMean: UnsafeMutableBufferPointer(start: savedMean, count: channels),
      savedInverseStandardDeviation: UnsafeMutableBufferPointer(
        start: savedInverseDeviation, count: channels),
      runningMean: UnsafeMutableBufferPointer(start: runningMean, count: channels),
      runningVariance: UnsafeMutableBufferPointer(start: runningVariance, count: channels),
      momentum: Float(momentum), activation: activation,
      activatedOutput: activated.map { UnsafeMutableBufferPointer(start: $0, count: count) }, pool: pool)
  }

  /// Batch-norm backward from the input `x` and the saved statistics: `dX` (overwritten),
  /// `dγ += Σ dY·x̂`, `dβ += Σ dY`.
  static func batchNormBackward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    savedMean: UnsafePointer<Float>, savedInverseDeviation: UnsafePointer<Float>,
    outputGradient dY: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>,
    gammaGradient: UnsafeMutablePointer<Float>, betaGradient: UnsafeMutablePointer<Float>, pool: ComputePool
  ) {
    let count = positions * channels
    BatchNormalization.backward(
      outputGradient: UnsafeBufferPointer(start: dY, count: count),
      input: UnsafeBufferPointer(start: x, count: count),
      rows: positions, channels: channels, scale: UnsafeBufferPointer(start: gamma, count: channels),
      savedMean: UnsafeBufferPointer(start: savedMean, count: channels),
      savedInverseStandardDeviation: UnsafeBufferPointer(start: savedInverseDeviation, count: channels),
      inputGradient: UnsafeMutableBufferPointer(start: dX, count: count), accumulateInput: false,
      scaleGradient: UnsafeMutableBufferPointer(start: gammaGradient, count: channels),
      shiftGradient: UnsafeMutableBufferPointer(start: betaGradient, count: channels),
      accumulateParameters: true,
      pool: pool)
  }

  // MARK: Activations

  /// `dX = dY · f'(x)` for the pre-activation `x` (overwrites `dX`; it may alias `dY`).
  static func activationBackward(
    _ activation: Activation, preActivation x: UnsafePointer<Float>, outputGradient dY: UnsafePointer<Float>,
    inputGradient dX: UnsafeMutablePointer<Float>, count: Int, pool: ComputePool
  ) {
    ActivationBackward.inputGradient(
      activation, preActivation: UnsafeBufferPointer(start: x, count: count),
      outputGradient: UnsafeBufferPointer(start: dY, count: count),
      inputGradient: UnsafeMutableBufferPointer(start: dX, count: count), accumulate: false, pool: pool)
  }

  // MARK: Loss

  /// Mean cross-entropy with label smoothing `ε` and optional class weights (PyTorch's
  /// `cross_entropy(weight: w, label_smoothing: ε)`), its gradient, and how many rows have their largest
  /// logit at the label.
  static func crossEntropy(
    logits: UnsafePointer<Float>, labels: [Int], classes: Int, smoothing: Double, classWeights: [Float]?,
    gradient: UnsafeMutablePointer<Float>, pool: ComputePool
  ) -> (loss: Double, correct: Int) {
    let count = labels.count * classes
    let evaluation = labels.withUnsafeBufferPointer { labels in
      func run(_ weights: UnsafeBufferPointer<Float>?) -> CrossEntropy.Evaluation {
        CrossEntropy.lossAndGradient(
          logits: UnsafeBufferPointer(start: logits, count: count), labels: labels, classes: classes,
          labelSmoothing: Float(smoothing),
          logitsGradient: UnsafeMutableBufferPointer(start: gradient, count: count),
          correct: nil, classWeights: weights, pool: pool)
      }
      guard let classWeights else { return run(nil) }
      return classWeights.withUnsafeBufferPointer { run($0) }
    }
    return (evaluation.loss, evaluation.correctCount)
  }
}
