import EfficientNetKernels

/// The L2 norm of all gradients taken together, `√(Σ g²)` over every element of every parameter.
///
/// Squares are summed in double precision in fixed chunks whatever the thread count, so the result is
/// the same run to run.
public func gradientNorm(_ parameters: [TrainableParameter]) -> Float {
  var sum = 0.0
  for parameter in parameters {
    sum += sumOfSquares(UnsafeBufferPointer(parameter.gradientBuffer))
  }
  return Float(sum.squareRoot())
}

/// Scales all gradients down together so that their joint L2 norm is at most `maxNorm`, and returns the
/// norm before clipping (PyTorch `torch.nn.utils.clip_grad_norm_` semantics).
///
/// The scale is `maxNorm / (norm + 1e-6)`, applied only when below one. When the norm is not finite
/// (an overflow or NaN in the backward pass) the gradients are left as they are and the non-finite
/// norm is returned, so the caller can skip the step (PyTorch would multiply them by NaN or zero).
///
/// - Parameters:
///   - parameters: the parameters whose gradients to clip, in place.
///   - maxNorm: the largest allowed joint norm (> 0).
/// - Returns: the joint L2 norm of the gradients before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [TrainableParameter], maxNorm: Float) -> Float {
  precondition(maxNorm > 0, "maximum gradient norm must be positive")
  let norm = gradientNorm(parameters)
  guard norm.isFinite else { return norm }
  let scale = Float(Double(maxNorm) / (Double(norm) + 1e-6))
  if scale < 1 {
    for parameter in parameters where parameter.count > 0 {
      GradientArithmetic.scale(
        UnsafeMutableBufferPointer(start: parameter.pointers.gradient, count: parameter.count), by: scale)
    }
  }
  return norm
}

/// Σ x² in double precision, in fixed 64 Ki-element chunks (summed in parallel, combined in order).
private func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
  let chunk = 1 << 16
  let chunkCount = (values.count + chunk - 1) / chunk
  if chunkCount <= 1 { return sumOfSquares(values, 0..<values.count) }
  var partial = [Double](repeating: 0, count: chunkCount)
  partial.withUnsafeMutableBufferPointer { partial in
    ComputePool.shared.parallelFor(chunkCount) { index in
      let start = index * chunk
      partial[index] = sumOfSquares(values, start..<min(values.count, start + chunk))
    }
  }
  return partial.reduce(0, +)
}

/// Σ x² over `range`, with eight running sums (vectorizable) combined in a fixed order.
private func sumOfSquares(_ values: UnsafeBufferPointer<Float>, _ range: Range<Int>) -> Double {
  var lanes = SIMD8<Double>(repeating: 0)
  var index = range.lowerBound
  while index + 8 <= range.upperBound {
    var vector = SIMD8<Double>()
    for lane in 0..<8 { vector[lane] = Double(values[index + lane]) }
    lanes.addProduct(vector, vector)
    index += 8
  }
  var sum = lanes.sum()
  while index < range.upperBound {
    let value = Double(values[index])
    sum += value * value
    index += 1
  }
  return sum
}
