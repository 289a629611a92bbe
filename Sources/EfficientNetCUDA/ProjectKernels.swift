import EfficientNetKernels

/// The project's own CUDA kernels (``KernelImage``, compiled from `CUDAKernels/`), loaded once per
/// device, with the launch shape each needs. Every kernel computes one output element per thread.
public final class ProjectKernels: @unchecked Sendable {
  /// The loaded module.
  public let module: CUDAModule
  private let silu, averagePool, convolution, depthwise, pointwise, epilogue, scaleChannels: CUDAFunction
  /// Threads per block.
  static let threadsPerBlock = 256
  /// The most blocks a one-dimensional launch uses (the kernels loop over the rest).
  static let maximumBlocks = 1 << 16

  /// Where a convolution's window starts and how large its output is.
  public struct Window: Sendable {
    /// Input size, kernel side and stride.
    public var height: Int, width: Int, kernel: Int, stride: Int
    /// Zero padding before the first row and column.
    public var padTop: Int, padLeft: Int
    /// Output size.
    public var outputHeight: Int, outputWidth: Int

    /// A window with the given sizes.
    public init(
      height: Int, width: Int, kernel: Int, stride: Int, padTop: Int, padLeft: Int, outputHeight: Int,
      outputWidth: Int
    ) {
      (self.height, self.width, self.kernel, self.stride) = (height, width, kernel, stride)
      (self.padTop, self.padLeft, self.outputHeight, self.outputWidth) = (
        padTop, padLeft, outputHeight, outputWidth
      )
    }

    /// Kernel side, stride, padding and output size, in the order the kernels take them.
    var shape: [Int] { [kernel, stride, padTop, padLeft, outputHeight, outputWidth] }
  }

  /// Loads the embedded fatbin on `device`.
  public init(device: CUDADevice) throws {
    module = try CUDAModule(device: device, image: KernelImage.bytes)
    silu = try module.function("silu_inplace")
    averagePool = try module.function("global_average_pool_nhwc")
    convolution = try module.function("convolution_nhwc")
    depthwise = try module.function("depthwise_nhwc")
    pointwise = try module.function("pointwise_nhwc")
    epilogue = try module.function("bias_activation_nhwc")
    scaleChannels = try module.function("scale_channels_nhwc")
  }

  /// The size of the embedded fatbin and the digest of the source it came from.
  public static var imageDescription: String {
    "\(KernelImage.byteCount) bytes, from source SHA-256 \(KernelImage.sourceDigest.prefix(12))"
  }

  /// `values` as `int` parameters, then the activation's code: the tail every layer kernel takes.
  private func integers(_ values: [Int], _ activation: Activation) -> [KernelArgument] {
    values.map { .int32(Int32($0)) } + [.int32(activation.kernelCode)]
  }

  /// A one-dimensional launch over `count` elements.
  private func launch(_ function: CUDAFunction, count: Int, _ arguments: [KernelArgument]) throws {
    guard count > 0 else { return }
    let blocks = min((count + Self.threadsPerBlock - 1) / Self.threadsPerBlock, Self.maximumBlocks)
    try function.launch(grid: (blocks, 1, 1), block: (Self.threadsPerBlock, 1, 1), arguments: arguments)
  }

  /// `x · sigmoid(x)` in place over all of `buffer`.
  public func siluInPlace(_ buffer: DeviceBuffer) throws {
    try launch(silu, count: buffer.count, [.buffer(buffer), .int32(Int32(buffer.count))])
  }

  /// `output[n, c]` = the mean of `input[n, p, c]` over `pixels` p, NHWC.
  public func globalAveragePool(
    _ input: DeviceBuffer, into output: DeviceBuffer, images: Int, pixels: Int, channels: Int
  ) throws {
    precondition(
      input.count >= images * pixels * channels, "globalAveragePool: input smaller than [N, HW, C]")
    precondition(output.count >= images * channels, "globalAveragePool: output smaller than [N, C]")
    let blocks = (channels + Self.threadsPerBlock - 1) / Self.threadsPerBlock
    try averagePool.launch(
      grid: (blocks, images, 1), block: (Self.threadsPerBlock, 1, 1),
      arguments: [
        .buffer(input), .buffer(output), .int32(Int32(images)), .int32(Int32(pixels)),
        .int32(Int32(channels)),
      ])
  }

  /// A k×k convolution NHWC (weights `[O, I, k, k]`, bias `[O]`), activation fused.
  public func convolution(
    _ input: DeviceBuffer, weights: DeviceBuffer, bias: DeviceBuffer, into output: DeviceBuffer, images: Int,
    inputChannels: Int, outputChannels: Int, window: Window, activation: Activation
  ) throws {
    let count = images * window.outputHeight * window.outputWidth * outputChannels
    precondition(output.count >= count, "convolution: output too small")
    try launch(
      convolution, count: count,
      [.buffer(input), .buffer(weights), .buffer(bias), .buffer(output)]
        + integers(
          [images, window.height, window.width, inputChannels, outputChannels] + window.shape, activation))
  }

  /// A depthwise k×k convolution NHWC (weights `[C, k, k]`, bias `[C]`), activation fused.
  public func depthwise(
    _ input: DeviceBuffer, weights: DeviceBuffer, bias: DeviceBuffer, into output: DeviceBuffer, images: Int,
    channels: Int, window: Window, activation: Activation
  ) throws {
    let count = images * window.outputHeight * window.outputWidth * channels
    precondition(output.count >= count, "depthwise: output too small")
    try launch(
      depthwise, count: count,
      [.buffer(input), .buffer(weights), .buffer(bias), .buffer(output)]
        + integers([images, window.height, window.width, channels] + window.shape, activation))
  }

  /// `output[m, o] = act(Σ_k input[m, k] · gate[m / pixels, k] · W[o, k] + bias[o]) + residual[m, o]`
  /// (weights `[O, K]`); `gate` and `residual` may be nil.
  public func pointwise(
    _ input: DeviceBuffer, weights: DeviceBuffer, bias: DeviceBuffer, gate: DeviceBuffer?,
    residual: DeviceBuffer?,
    into output: DeviceBuffer, rows: Int, depth: Int, outputs: Int, pixels: Int, activation: Activation
  ) throws {
    precondition(output.count >= rows * outputs, "pointwise: output too small")
    try launch(
      pointwise, count: rows * outputs,
      [
        .buffer(input), .buffer(weights), .buffer(bias), gate.map(KernelArgument.buffer) ?? .null,
        residual.map(KernelArgument.buffer) ?? .null, .buffer(output),
      ] + integers([rows, depth, outputs, pixels], activation))
  }

  /// `output[m, o] = act(output[m, o] + bias[o]) + residual[m, o]` in place: a cuBLAS product's epilogue.
  public func biasActivation(
    _ output: DeviceBuffer, bias: DeviceBuffer, residual: DeviceBuffer?, rows: Int, outputs: Int,
    activation: Activation
  ) throws {
    try launch(
      epilogue, count: rows * outputs,
      [.buffer(output), .buffer(bias), residual.map(KernelArgument.buffer) ?? .null]
        + integers([rows, outputs], activation))
  }

  /// `values[n, p, c] *= gate[n, c]` in place.
  public func scaleChannels(
    _ values: DeviceBuffer, gate: DeviceBuffer, images: Int, pixels: Int, channels: Int
  )
    throws
  {
    try launch(
      scaleChannels, count: images * pixels * channels,
      [.buffer(values), .buffer(gate)] + [images, pixels, channels].map { .int32(Int32($0)) })
  }
}

extension Activation {
  /// The activation's code in the CUDA kernels (`activate` in CUDAKernels/efficientnet_kernels.cu).
  var kernelCode: Int32 {
    switch self {
    case .identity: return 0
    case .silu: return 1
    case .relu6: return 2
    case .relu: return 3
    case .sigmoid: return 4
    }
  }
}
