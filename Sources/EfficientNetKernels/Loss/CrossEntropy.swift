import Foundation

/// Softmax cross-entropy with label smoothing over logits `[N, classes]`, and its gradient — PyTorch's
/// `cross_entropy(logits, labels, label_smoothing: ε)` with the default mean reduction.
///
/// With `q = (1 − ε)·onehot(label) + ε / classes` and `log p = log_softmax(z)`:
/// `loss = (1/N) Σ_n −Σ_c q[n, c] · log p[n, c]` and `dLoss/dz[n, c] = (p[n, c] − q[n, c]) / N`.
///
/// With class weights `w[classes]` it is PyTorch's `cross_entropy(weight: w, label_smoothing: ε)`:
/// both terms are weighted, the label term by `w[label]` and the smoothing term class by class, and
/// the mean divides by the weight of the targets, `W = Σ_n w[label_n]`:
/// `loss = (1/W) Σ_n [(1 − ε)·w[y_n]·(−log p[n, y_n]) + (ε/classes)·Σ_c w[c]·(−log p[n, c])]`, so
/// `dLoss/dz[n, c] = (a_n·p[n, c] − (1 − ε)·w[y_n]·[c = y_n] − (ε/classes)·w[c]) / W` with
/// `a_n = (1 − ε)·w[y_n] + (ε/classes)·Σ_c w[c]`.
public enum CrossEntropy {
  /// What one evaluation of the loss returns besides the gradient.
  public struct Evaluation: Equatable, Sendable {
    /// The mean loss over the batch.
    public var loss: Double
    /// The number of samples whose largest logit (the first, on ties) is at the label.
    public var correctCount: Int
  }

  /// Computes the mean loss and, optionally, its gradient with respect to the logits.
  ///
  /// Each sample's log-sum-exp is taken after subtracting its largest logit (no overflow), with the
  /// exponentials vectorized; the per-sample losses are added in order in `Double`, so the result
  /// does not depend on the thread count.
  ///
  /// - Parameters:
  ///   - logits: `z[N, classes]`.
  ///   - labels: `[N]`, each in `0..<classes`.
  ///   - classes: the number of classes (at least 1).
  ///   - labelSmoothing: ε, in `0...1` (0 gives plain cross-entropy).
  ///   - logitsGradient: `dz[N, classes]`, overwritten with `(p − q) / N`, or `nil` for the loss only;
  ///     must not overlap `logits`.
  ///   - correct: `[N]`, receives whether each sample's argmax is its label, or `nil`.
  ///   - classWeights: `w[classes]`, each ≥ 0, or `nil` for all ones (the weighted mean is taken over
  ///     `Σ_n w[label_n]`, which must then be positive).
  ///   - pool: the threads to use.
  /// - Returns: the mean loss and the number of correct samples.
  public static func lossAndGradient(
    logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int>, classes: Int, labelSmoothing: Float,
    logitsGradient: UnsafeMutableBufferPointer<Float>?, correct: UnsafeMutableBufferPointer<Bool>?,
    classWeights: UnsafeBufferPointer<Float>? = nil, pool: ComputePool = .shared
  ) -> Evaluation {
    let batch = labels.count
    precondition(classes >= 1, "classes must be at least 1")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing must be in 0...1")
    precondition(logits.count == batch * classes, "logits must be [N, classes] with N = labels.count")
    precondition(logitsGradient.map { $0.count == batch * classes } ?? true, "gradient must be [N, classes]")
    precondition(correct.map { $0.count == batch } ?? true, "correct must be [N]")
    for (sample, label) in labels.enumerated() {
      precondition(
        label >= 0 && label < classes, "label \(label) of sample \(sample) is outside 0..<\(classes)")
    }
    precondition(classWeights.map { $0.count == classes } ?? true, "class weights must be [classes]")
    guard batch > 0, let z = logits.baseAddress else { return Evaluation(loss: 0, correctCount: 0) }
    let gradient = logitsGradient?.baseAddress
    let smoothing = Double(labelSmoothing)
    if let classWeights {
      return weightedLossAndGradient(
        logits: z, labels: labels, classes: classes, smoothing: smoothing, weights: classWeights,
        gradient: gradient, correct: correct, pool: pool)
    }
    // Per sample: the loss, then 1 or 0 for correct.
    return ScratchBuffers.shared.withBuffer(capacity: 2 * batch) { perSample in
      pool.parallelRanges(batch, grain: max(1, 16_384 / classes)) { samples in
        for sample in samples {
          let row = z + sample * classes
          let label = labels[sample]
          let (largest, argmax) = maximum(row, count: classes)
          let target = gradient.map { $0 + sample * classes }
          let (sumExp, sumLogits) = exponentials(row, count: classes, shift: largest, into: target)
          let logSumExp = Double(largest) + log(Double(sumExp))
          let loss =
            logSumExp - (1 - smoothing) * Double(row[label]) - smoothing / Double(classes) * sumLogits
          perSample[sample] = Float(loss)
          perSample[batch + sample] = argmax == label ? 1 : 0
          if let target {
            let scale = Float(1 / (Double(sumExp) * Double(batch)))
            let uniform = Float(smoothing / Double(classes) / Double(batch))
            var c = 0
            while c &+ 8 <= classes {
              LaneAccess.store(LaneAccess.load(target + c) * scale - uniform, target + c)
              c &+= 8
            }
            while c < classes {
              target[c] = target[c] * scale - uniform
              c &+= 1
            }
            target[label] -= Float((1 - smoothing) / Double(batch))
          }
        }
      }
      var total = 0.0
      var correctCount = 0
      for sample in 0..<batch {
        total += Double(perSample[sample])
        let isCorrect = perSample[batch + sample] == 1
        if isCorrect { correctCount += 1 }
        correct?[sample] = isCorrect
      }
      return Evaluation(loss: total / Double(batch), correctCount: correctCount)
    }
  }

  /// The class-weighted loss (see the type's formula): per-sample terms in parallel, added in order in
  /// `Double`, divided by the targets' total weight.
  private static func weightedLossAndGradient(
    logits z: UnsafePointer<Float>, labels: UnsafeBufferPointer<Int>, classes: Int, smoothing: Double,
    weights: UnsafeBufferPointer<Float>, gradient: UnsafeMutablePointer<Float>?,
    correct: UnsafeMutableBufferPointer<Bool>?, pool: ComputePool
  ) -> Evaluation {
    let batch = labels.count
    var weightSum = 0.0
    for c in 0..<classes {
      precondition(weights[c] >= 0 && weights[c].isFinite, "class weight \(c) must be finite and ≥ 0")
      weightSum += Double(weights[c])
    }
    var targetWeight = 0.0
    for label in labels { targetWeight += Double(weights[label]) }
    precondition(targetWeight > 0, "the labels' class weights sum to zero")
    let uniform = smoothing / Double(classes)
    return ScratchBuffers.shared.withBuffer(capacity: 2 * batch) { perSample in
      pool.parallelRanges(batch, grain: max(1, 16_384 / classes)) { samples in
        for sample in samples {
          let row = z + sample * classes
          let label = labels[sample]
          let (largest, argmax) = maximum(row, count: classes)
          let target = gradient.map { $0 + sample * classes }
          let (sumExp, _) = exponentials(row, count: classes, shift: largest, into: target)
          let logSumExp = Double(largest) + log(Double(sumExp))
          let labelWeight = (1 - smoothing) * Double(weights[label])
          var weightedLogits = 0.0
          for c in 0..<classes { weightedLogits += Double(weights[c]) * Double(row[c]) }
          let total = labelWeight + uniform * weightSum
          perSample[sample] = Float(
            total * logSumExp - labelWeight * Double(row[label]) - uniform * weightedLogits)
          perSample[batch + sample] = argmax == label ? 1 : 0
          if let target {
            let scale = total / (Double(sumExp) * targetWeight)
            for c in 0..<classes {
              target[c] = Float(Double(target[c]) * scale - uniform * Double(weights[c]) / targetWeight)
            }
            target[label] -= Float(labelWeight / targetWeight)
          }
        }
      }
      var total = 0.0
      var correctCount = 0
      for sample in 0..<batch {
        total += Double(perSample[sample])
        let isCorrect = perSample[batch + sample] == 1
        if isCorrect { correctCount += 1 }
        correct?[sample] = isCorrect
      }
      return Evaluation(loss: total / targetWeight, correctCount: correctCount)
    }
  }

  /// The largest value of `row[0..<count]` and the first index holding it.
  @inline(__always)
  private static func maximum(_ row: UnsafePointer<Float>, count: Int) -> (Float, Int) {
    var largest = -Float.infinity
    var c = 0
    if count >= 8 {
      var vector = SIMD8<Float>(repeating: -.infinity)
      while c &+ 8 <= count {
        vector = pointwiseMax(vector, LaneAccess.load(row + c))
        c &+= 8
      }
      largest = vector.max()
    }
    while c < count {
      largest = max(largest, row[c])
      c &+= 1
    }
    var index = 0
    while index < count - 1 && row[index] != largest { index += 1 }
    return (largest, index)
  }

  /// `Σ exp(row[c] − shift)` (vectorized) and `Σ row[c]` (in `Double`); writes the exponentials to
  /// `destination` when given.
  @inline(__always)
  private static func exponentials(
    _ row: UnsafePointer<Float>, count: Int, shift: Float, into destination: UnsafeMutablePointer<Float>?
  ) -> (Float, Double) {
    var sums = SIMD8<Float>()
    var logitSums = SIMD8<Float>()
    var c = 0
    while c &+ 8 <= count {
      let values = LaneAccess.load(row + c)
      let e = VectorMath.exp(values - shift)
      if let destination { LaneAccess.store(e, destination + c) }
      sums += e
      logitSums += values
      c &+= 8
    }
    var total = sums.sum()
    var logitTotal = Double(logitSums.sum())
    while c < count {
      let e = expf(row[c] - shift)
      destination?[c] = e
      total += e
      logitTotal += Double(row[c])
      c &+= 1
    }
    return (total, logitTotal)
  }

  /// The naive twin of ``lossAndGradient(logits:labels:classes:labelSmoothing:logitsGradient:correct:pool:)``,
  /// entirely in `Double`.
  ///
  /// - Parameters:
  ///   - logits: `z[N, classes]`.
  ///   - labels: `[N]`.
  ///   - classes: the number of classes.
  ///   - labelSmoothing: ε.
  ///   - logitsGradient: `dz[N, classes]`, or `nil`.
  ///   - correct: `[N]`, or `nil`.
  ///   - classWeights: `w[classes]`, or `nil` for all ones.
  /// - Returns: the mean loss and the number of correct samples.
  public static func lossAndGradientReference(
    logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int>, classes: Int, labelSmoothing: Float,
    logitsGradient: UnsafeMutableBufferPointer<Float>?, correct: UnsafeMutableBufferPointer<Bool>?,
    classWeights: UnsafeBufferPointer<Float>? = nil
  ) -> Evaluation {
    let batch = labels.count
    precondition(logits.count == batch * classes, "logits must be [N, classes]")
    let smoothing = Double(labelSmoothing)
    let weight = { (c: Int) -> Double in classWeights.map { Double($0[c]) } ?? 1 }
    let targetWeight = labels.reduce(0.0) { $0 + weight($1) }
    var total = 0.0
    var correctCount = 0
    for sample in 0..<batch {
      let row = (0..<classes).map { Double(logits[sample * classes + $0]) }
      let largest = row.max() ?? 0
      let sumExp = row.reduce(0) { $0 + exp($1 - largest) }
      let logSumExp = largest + log(sumExp)
      let label = labels[sample]
      // −log p[c] weighted by the label term's and the smoothing term's coefficients.
      var coefficients = [Double](repeating: 0, count: classes)
      for c in 0..<classes {
        coefficients[c] =
          (c == label ? (1 - smoothing) * weight(label) : 0)
          + smoothing / Double(classes) * weight(c)
      }
      let coefficientSum = coefficients.reduce(0, +)
      for c in 0..<classes {
        total += -coefficients[c] * (row[c] - logSumExp)
        logitsGradient?[sample * classes + c] = Float(
          (coefficientSum * exp(row[c] - logSumExp) - coefficients[c]) / targetWeight)
      }
      let argmax = row.firstIndex(of: largest) ?? 0
      if argmax == label { correctCount += 1 }
      correct?[sample] = argmax == label
    }
    return Evaluation(loss: batch == 0 ? 0 : total / targetWeight, correctCount: correctCount)
  }
}
