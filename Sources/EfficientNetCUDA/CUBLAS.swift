import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// cuBLAS loaded at run time (`libcublas.so.13`, or `EFFICIENTNET_LIBCUBLAS`): a handle on the
/// current context and the one product the engine needs, row-major `C[M, O] = A[M, K] · W[O, K]ᵀ`,
/// through `cublasGemmEx` with float32 data and a chosen compute type.
public final class CUBLAS: @unchecked Sendable {
  typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
  typealias Destroy = @convention(c) (OpaquePointer?) -> Int32
  typealias GemmEx =
    @convention(c) (
      OpaquePointer?, Int32, Int32, Int32, Int32, Int32, UnsafeRawPointer, UInt64, Int32, Int32, UInt64,
      Int32,
      Int32, UnsafeRawPointer, UInt64, Int32, Int32, Int32, Int32
    ) -> Int32

  /// How products are accumulated: strict fp32, or the tensor cores' TF32 or bf16 inputs.
  public enum ComputeType: Int32, Sendable {
    /// `CUBLAS_COMPUTE_32F`: strict float32.
    case float32 = 68
    /// `CUBLAS_COMPUTE_32F_FAST_16BF`: bf16 inputs, float32 accumulation.
    case bfloat16 = 75
    /// `CUBLAS_COMPUTE_32F_FAST_TF32`: TF32 inputs, float32 accumulation.
    case tensorFloat32 = 77
  }

  /// The library that was opened.
  public let library: String
  /// The compute type of every product.
  public var computeType = ComputeType.float32
  private let libraryHandle: UnsafeMutableRawPointer
  private let handle: OpaquePointer?
  private let destroy: Destroy
  private let gemmEx: GemmEx

  /// `CUBLAS_OP_N`, `CUBLAS_OP_T`, `CUDA_R_32F` and `CUBLAS_GEMM_DEFAULT`.
  static let noTranspose: Int32 = 0, transpose: Int32 = 1, float32Data: Int32 = 0,
    defaultAlgorithm: Int32 = -1

  /// The default library name, or `EFFICIENTNET_LIBCUBLAS` when set.
  public static var defaultLibrary: String {
    ProcessInfo.processInfo.environment["EFFICIENTNET_LIBCUBLAS"] ?? "libcublas.so.13"
  }

  /// Opens cuBLAS and creates a handle on `device`'s context.
  public init(device: CUDADevice, path: String = CUBLAS.defaultLibrary) throws {
    try device.makeCurrent()
    guard let opened = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw CUDAError.libraryUnavailable(
        library: path, reason: dlerror().map { String(cString: $0) } ?? "unknown reason")
    }
    func bind<Function>(_ name: String, as _: Function.Type) throws -> Function {
      guard let symbol = dlsym(opened, name) else {
        dlclose(opened)
        throw CUDAError.missingSymbol(name, library: path)
      }
      return unsafeBitCast(symbol, to: Function.self)
    }
    let create = try bind("cublasCreate_v2", as: Create.self)
    destroy = try bind("cublasDestroy_v2", as: Destroy.self)
    gemmEx = try bind("cublasGemmEx", as: GemmEx.self)
    library = path
    libraryHandle = opened
    var handle: OpaquePointer?
    let status = create(&handle)
    guard status == 0 else {
      dlclose(opened)
      throw Self.error("cublasCreate_v2", status)
    }
    self.handle = handle
  }

  deinit {
    _ = destroy(handle)
    dlclose(libraryHandle)
  }

  /// Row-major `output[M, O] = input[M, K] · weights[O, K]ᵀ` (as column-major `outputᵀ = W · inputᵀ`).
  public func multiply(
    input: DeviceBuffer, weights: DeviceBuffer, output: DeviceBuffer, rows: Int, depth: Int, outputs: Int
  )
    throws
  {
    precondition(
      input.count >= rows * depth && weights.count >= outputs * depth && output.count >= rows * outputs,
      "CUBLAS.multiply: a buffer is smaller than its matrix")
    var one: Float = 1, zero: Float = 0
    let status = gemmEx(
      handle, Self.transpose, Self.noTranspose, Int32(outputs), Int32(rows), Int32(depth), &one,
      weights.address,
      Self.float32Data, Int32(depth), input.address, Self.float32Data, Int32(depth), &zero, output.address,
      Self.float32Data, Int32(outputs), computeType.rawValue, Self.defaultAlgorithm)
    guard status == 0 else { throw Self.error("cublasGemmEx", status) }
  }

  static func error(_ function: String, _ status: Int32) -> CUDAError {
    let names: [Int32: String] = [
      1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
      8: "CUBLAS_STATUS_ARCH_MISMATCH", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
      14: "CUBLAS_STATUS_INTERNAL_ERROR",
      15: "CUBLAS_STATUS_NOT_SUPPORTED",
    ]
    return .call(
      function: function, code: status, name: names[status] ?? "CUBLAS_STATUS_\(status)", message: "cuBLAS")
  }
}
