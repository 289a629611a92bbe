import EfficientNetKernels

// Temporary: the kernel takes the scale itself once the kernels' regrouping lands.
extension Dropout {
  static func forward(
    input: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, scale: Float,
    output: UnsafeMutableBufferPointer<Float>, pool: ComputePool
  ) {
    for index in input.indices { output[index] = input[index] * keep[index] * scale }
  }

  static func backward(
    outputGradient: UnsafeBufferPointer<Float>, keep: UnsafeBufferPointer<Float>, scale: Float,
    inputGradient: UnsafeMutableBufferPointer<Float>, accumulate: Bool, pool: ComputePool
  ) {
    for index in outputGradient.indices { inputGradient[index] = outputGradient[index] * keep[index] * scale }
  }
}
