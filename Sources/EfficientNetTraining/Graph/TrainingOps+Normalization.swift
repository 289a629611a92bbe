import EfficientNetKernels
import Foundation

extension TrainingOps {
  // MARK: Batch norm (training mode)

  /// Batch norm over `positions` rows of `channels`: normalizes with the batch mean and biased
  /// variance, writes `y = x̂·γ + β`, saves mean and 1/σ, and updates the running statistics with
  /// PyTorch's rule (`momentum` weight on the batch; unbiased variance for the running update).
  static func batchNormForward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, epsilon: Double, momentum: Double, runningMean: UnsafeMutablePointer<Float>,
    runningVariance: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>,
    savedInverseDeviation: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    var sums = [Double](repeating: 0, count: channels)
    for p in 0..<positions {
      let row = x + p * channels
      for c in 0..<channels { sums[c] += Double(row[c]) }
    }
    let means = sums.map { $0 / Double(positions) }
    var squares = [Double](repeating: 0, count: channels)
    for p in 0..<positions {
      let row = x + p * channels
      for c in 0..<channels {
        let d = Double(row[c]) - means[c]
        squares[c] += d * d
      }
    }
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      let variance = squares[c] / Double(positions)
      let inverse = 1 / (variance + epsilon).squareRoot()
      savedMean[c] = Float(means[c])
      savedInverseDeviation[c] = Float(inverse)
      scale[c] = Float(Double(gamma[c]) * inverse)
      shift[c] = Float(Double(beta[c]) - means[c] * Double(gamma[c]) * inverse)
      let unbiased = positions > 1 ? squares[c] / Double(positions - 1) : variance
      runningMean[c] = Float((1 - momentum) * Double(runningMean[c]) + momentum * means[c])
      runningVariance[c] = Float((1 - momentum) * Double(runningVariance[c]) + momentum * unbiased)
    }
    for p in 0..<positions {
      let input = x + p * channels
      let output = y + p * channels
      for c in 0..<channels { output[c] = input[c] * scale[c] + shift[c] }
    }
  }

  /// Batch-norm backward from the input `x` and the saved statistics: `dX` (overwritten),
  /// `dγ += Σ dY·x̂`, `dβ += Σ dY`.
  static func batchNormBackward(
    _ x: UnsafePointer<Float>, positions: Int, channels: Int, gamma: UnsafePointer<Float>,
    savedMean: UnsafePointer<Float>, savedInverseDeviation: UnsafePointer<Float>,
    outputGradient dY: UnsafePointer<Float>, inputGradient dX: UnsafeMutablePointer<Float>,
    gammaGradient: UnsafeMutablePointer<Float>, betaGradient: UnsafeMutablePointer<Float>
  ) {
    var sumGradient = [Double](repeating: 0, count: channels)
    var sumGradientNormalized = [Double](repeating: 0, count: channels)
    for p in 0..<positions {
      let input = x + p * channels
      let gradient = dY + p * channels
      for c in 0..<channels {
        let normalized = Double(input[c] - savedMean[c]) * Double(savedInverseDeviation[c])
        sumGradient[c] += Double(gradient[c])
        sumGradientNormalized[c] += Double(gradient[c]) * normalized
      }
    }
    let count = Double(positions)
    var a = [Float](repeating: 0, count: channels)
    var b = [Float](repeating: 0, count: channels)
    var c0 = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      gammaGradient[c] += Float(sumGradientNormalized[c])
      betaGradient[c] += Float(sumGradient[c])
      let factor = Double(gamma[c]) * Double(savedInverseDeviation[c])
      // dX = γ/σ · (dY − mean(dY) − x̂ · mean(dY·x̂)), with x̂ = (x − μ)/σ.
      a[c] = Float(factor)
      b[c] = Float(factor * sumGradientNormalized[c] / count * Double(savedInverseDeviation[c]))
      c0[c] = Float(factor * sumGradient[c] / count)
    }
    for p in 0..<positions {
      let input = x + p * channels
      let gradient = dY + p * channels
      let output = dX + p * channels
      for c in 0..<channels {
        output[c] = a[c] * gradient[c] - c0[c] - b[c] * (input[c] - savedMean[c])
      }
    }
  }

  // MARK: Activations

  /// `dX = dY · f'(x)` for the pre-activation `x` (overwrites `dX`; it may alias `dY`).
  static func activationBackward(
    _ activation: Activation, preActivation x: UnsafePointer<Float>, outputGradient dY: UnsafePointer<Float>,
    inputGradient dX: UnsafeMutablePointer<Float>, count: Int
  ) {
    switch activation {
    case .identity:
      if UnsafePointer(dX) != dY { dX.update(from: dY, count: count) }
    case .relu:
      for i in 0..<count { dX[i] = x[i] > 0 ? dY[i] : 0 }
    case .relu6:
      for i in 0..<count { dX[i] = x[i] > 0 && x[i] < 6 ? dY[i] : 0 }
    case .silu:
      for i in 0..<count {
        let s = 1 / (1 + expf(-x[i]))
        dX[i] = dY[i] * s * (1 + x[i] * (1 - s))
      }
    case .sigmoid:
      for i in 0..<count {
        let s = 1 / (1 + expf(-x[i]))
        dX[i] = dY[i] * s * (1 - s)
      }
    }
  }

  // MARK: Loss

  /// Mean cross-entropy with label smoothing `ε` (PyTorch's `cross_entropy(label_smoothing: ε)`),
  /// its gradient `(softmax − q) / N` with `q = (1 − ε)·onehot + ε / classes`, and how many rows
  /// have their largest logit at the label.
  static func crossEntropy(
    logits: UnsafePointer<Float>, labels: [Int], classes: Int, smoothing: Double,
    gradient: UnsafeMutablePointer<Float>
  ) -> (loss: Double, correct: Int) {
    let rows = labels.count
    var total = 0.0
    var correct = 0
    for row in 0..<rows {
      let z = logits + row * classes
      var largest = -Double.infinity
      var argmax = 0
      for c in 0..<classes where Double(z[c]) > largest {
        largest = Double(z[c])
        argmax = c
      }
      if argmax == labels[row] { correct += 1 }
      var sum = 0.0
      for c in 0..<classes { sum += Foundation.exp(Double(z[c]) - largest) }
      let logSum = largest + Foundation.log(sum)
      var loss = 0.0
      for c in 0..<classes {
        let target = (c == labels[row] ? 1 - smoothing : 0) + smoothing / Double(classes)
        let logProbability = Double(z[c]) - logSum
        loss -= target * logProbability
        gradient[row * classes + c] = Float((Foundation.exp(logProbability) - target) / Double(rows))
      }
      total += loss
    }
    return (total / Double(rows), correct)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
