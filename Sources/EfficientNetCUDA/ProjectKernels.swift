/// The project's own CUDA kernels (``KernelImage``, compiled from `CUDAKernels/`), loaded once per
/// device, with the launch shapes each needs.
public final class ProjectKernels: @unchecked Sendable {
  /// The loaded module.
  public let module: CUDAModule
  private let silu: CUDAFunction
  private let averagePool: CUDAFunction
  /// Threads per block for one-dimensional kernels.
  static let threadsPerBlock = 256

  /// Loads the embedded fatbin on `device`.
  public init(device: CUDADevice) throws {
    module = try CUDAModule(device: device, image: KernelImage.bytes)
    silu = try module.function("silu_inplace")
    averagePool = try module.function("global_average_pool_nhwc")
  }

  /// The size of the embedded fatbin and the digest of the source it came from.
  public static var imageDescription: String {
    "\(KernelImage.byteCount) bytes, from source SHA-256 \(KernelImage.sourceDigest.prefix(12))"
  }

  /// `x · sigmoid(x)` in place over all of `buffer`.
  public func siluInPlace(_ buffer: DeviceBuffer) throws {
    guard buffer.count > 0 else { return }
    let blocks = (buffer.count + Self.threadsPerBlock - 1) / Self.threadsPerBlock
    try silu.launch(
      grid: (min(blocks, 65_535), 1, 1), block: (Self.threadsPerBlock, 1, 1),
      arguments: [.buffer(buffer), .int32(Int32(buffer.count))])
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
}
