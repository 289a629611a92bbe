import EfficientNetCore
import EfficientNetModels
import Foundation

/// The learning-rate range test (Smith, 2017; fastai's `lr_find`): train with a rate that grows
/// exponentially each step from ``startRate`` towards ``endRate``, smooth the loss, and stop once
/// it diverges; the rate to train at is read off the curve.
public struct LearningRateSweep: Sendable, Equatable {
  /// The first step's rate.
  public var startRate = 1e-7
  /// The rate the last step would reach.
  public var endRate = 10.0
  /// The most steps taken.
  public var steps = 200
  /// The exponential moving average's weight on the past (bias-corrected, as fastai does).
  public var smoothing = 0.98
  /// The sweep stops when the smoothed loss exceeds this multiple of its lowest value.
  public var divergenceFactor = 4.0
  /// Steps at the start (a share of ``steps``) whose loss is never called divergent: at rates too
  /// small to change anything, differences between batches are noise, not divergence.
  public var settlingFraction = 0.1

  /// The default sweep: 1e-7 to 10 in at most 200 steps, stopping at 4× the lowest smoothed loss.
  public init() {}

  /// The steps of the settling period.
  public var settlingSteps: Int { Int((settlingFraction * Double(steps)).rounded(.up)) }

  /// The rate of step `index`.
  public func rate(step index: Int) -> Double {
    let fraction = steps > 1 ? Double(index) / Double(steps - 1) : 0
    return startRate * Foundation.pow(endRate / startRate, fraction)
  }

  /// Runs the sweep: `step` takes one optimizer step at the given rate and returns the batch's loss.
  public func run(step: (Float) throws -> Double) rethrows -> LearningRateFinding {
    var rates: [Double] = [], losses: [Double] = [], smoothed: [Double] = []
    var average = 0.0
    var lowest = Double.infinity
    var diverged = false
    for index in 0..<max(1, steps) {
      let rate = self.rate(step: index)
      let loss = try step(Float(rate))
      guard loss.isFinite else {
        diverged = true
        break
      }
      average = smoothing * average + (1 - smoothing) * loss
      let corrected = average / (1 - Foundation.pow(smoothing, Double(index + 1)))
      rates.append(rate)
      losses.append(loss)
      smoothed.append(corrected)
      guard index >= settlingSteps else { continue }
      lowest = min(lowest, corrected)
      if corrected > divergenceFactor * lowest {
        diverged = true
        break
      }
    }
    return LearningRateFinding(
      rates: rates, losses: losses, smoothedLosses: smoothed, diverged: diverged,
      settlingSteps: min(settlingSteps, max(0, rates.count - 1)))
  }
}

/// What a ``LearningRateSweep`` measured, and the rate it suggests.
public struct LearningRateFinding: Sendable, Equatable {
  /// Each step's rate, raw loss and bias-corrected smoothed loss.
  public var rates: [Double], losses: [Double], smoothedLosses: [Double]
  /// Whether the sweep stopped because the loss diverged (else it ran every step).
  public var diverged: Bool
  /// The steps at the start that neither set the lowest loss nor count as divergent.
  public var settlingSteps: Int

  /// Creates a finding from a sweep's measurements.
  public init(rates: [Double], losses: [Double], smoothedLosses: [Double], diverged: Bool, settlingSteps: Int)
  {
    self.rates = rates
    self.losses = losses
    self.smoothedLosses = smoothedLosses
    self.diverged = diverged
    self.settlingSteps = settlingSteps
  }

  /// The step with the lowest smoothed loss after the settling period.
  public var lowestIndex: Int? {
    smoothedLosses.indices.dropFirst(settlingSteps).min { smoothedLosses[$0] < smoothedLosses[$1] }
  }

  /// The rule that chose ``suggestedRate``.
  public static let rule = "a tenth of the rate at the lowest smoothed loss (fastai's lr_min / 10)"

  /// The suggested peak rate: a tenth of the rate where the smoothed loss is lowest, far enough below
  /// the divergence to be safe and, on the sweeps measured here, within a factor of two of the best
  /// rate found by training at each. nil when the smoothed loss never fell 1% below where the
  /// settling period left it.
  public var suggestedRate: Double? {
    guard let lowest = lowestIndex, lowest > settlingSteps,
      smoothedLosses[lowest] < 0.99 * smoothedLosses[settlingSteps]
    else {
      return nil
    }
    return rates[lowest] / 10
  }
}

/// Runs a ``LearningRateSweep`` on a model with a run's settings and data, on a copy of the
/// weights: nothing is written and the model passed in is unchanged.
public enum LearningRateFinder {
  /// Sweeps `model` over batches of `data` (as many epochs as the steps need), training as a run of
  /// `settings` would in its first epoch (the classifier alone when it starts frozen).
  ///
  /// - Throws: ``TrainingError`` when no training sample loads.
  public static func run(
    model: EfficientNet, settings: TrainingSettings, data: DataLoader, sweep: LearningRateSweep = .init(),
    progress: (Int, Double, Double) -> Void = { _, _, _ in }
  ) throws -> LearningRateFinding {
    try settings.validate()
    let graph = TrainingGraph(model: model)
    graph.labelSmoothing = settings.labelSmoothing
    graph.freezesBatchNormStatistics = settings.freezesBatchNormStatistics
    if let weights = settings.classWeights, weights.count == model.configuration.classCount {
      graph.classWeights = weights
    }
    graph.trainsBackbone = settings.freezeEpochs == 0
    let (all, classifier) = Trainer.trainableParameters(of: graph, settings: settings)
    let active = graph.trainsBackbone ? all : classifier
    var optimizer = Trainer.makeOptimizer(settings)
    var epoch = 0
    var pending = data.batches(epoch: epoch, startingAt: 0).makeIterator()
    var step = 0
    /// The next batch with samples: the rest of this epoch, else the next; two epochs in a row with
    /// none loaded mean there is nothing to train on.
    func nextBatch() throws -> Batch {
      for _ in 0..<3 {
        while let batch = pending.next() {
          if !batch.labels.isEmpty { return batch }
        }
        epoch += 1
        pending = data.batches(epoch: epoch, startingAt: 0).makeIterator()
      }
      throw TrainingError.invalidSetting(
        name: "training data", reason: "none of the \(data.indices.count) training samples could be loaded")
    }
    return try sweep.run { rate in
      let batch = try nextBatch()
      graph.parameters.zeroGradients()
      var generator = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9 &* UInt64(step + 1))
      let result = try graph.step(images: batch.images, labels: batch.labels, generator: &generator)
      if let maxNorm = settings.gradientClipNorm, result.loss.isFinite {
        _ = clipGradientNorm(active, maxNorm: maxNorm)
      }
      if result.loss.isFinite { optimizer.step(active, learningRate: rate) }
      progress(step, Double(rate), result.loss)
      step += 1
      return result.loss
    }
  }
}
