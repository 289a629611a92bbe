import EfficientNetKernels

/// The L2 norm of all gradients taken together, `√(Σ g²)` over every element of every parameter.
///
/// Squares are summed in double precision in fixed chunks whatever the thread count, so the result is
/// the same run to run.
public func gradientNorm(_ parameters: [TrainableParameter]) -> Float {
  var sum = 0.0
  for parameter in parameters {
    sum += GradientArithmetic.sumOfSquares(UnsafeBufferPointer(parameter.gradientBuffer))
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
