/// EfficientNetKernels: the compute kernels of swift-efficientnet.
///
/// Every kernel is a function over raw `Float` buffers and dimensions; activations are NHWC.
/// Each fast kernel has a naive reference twin (`…Reference`) that the tests compare it with.
public enum KernelInfo {
  /// The SIMD width, in floats, the kernels are written for.
  public static let vectorWidth = 8
}
