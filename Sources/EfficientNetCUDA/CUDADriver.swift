import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The CUDA driver API, loaded at run time with `dlopen` and `dlsym`: nothing of CUDA is needed to
/// build or to run on a machine without a GPU, where ``load(path:)`` throws
/// ``CUDAError/libraryUnavailable(library:reason:)`` and callers fall back to the CPU.
///
/// Entry points are the versioned ones CUDA 12 and 13 headers map to (`cuMemAlloc_v2`, ...); the
/// context is the device's primary context, which cuBLAS and cuDNN share. Every call is checked:
/// ``check(_:_:)`` turns a non-zero result into ``CUDAError/call(function:code:name:message:)``
/// with the driver's own name and message for the code.
public final class CUDADriver: @unchecked Sendable {
  public typealias Result = Int32
  typealias Init = @convention(c) (UInt32) -> Result
  typealias DriverGetVersion = @convention(c) (UnsafeMutablePointer<Int32>) -> Result
  typealias DeviceGetCount = @convention(c) (UnsafeMutablePointer<Int32>) -> Result
  typealias DeviceGet = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Result
  typealias DeviceGetName = @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Result
  typealias DeviceTotalMemory = @convention(c) (UnsafeMutablePointer<Int>, Int32) -> Result
  typealias DeviceGetAttribute = @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Result
  typealias PrimaryContextRetain = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, Int32) -> Result
  typealias PrimaryContextRelease = @convention(c) (Int32) -> Result
  typealias ContextSetCurrent = @convention(c) (OpaquePointer?) -> Result
  typealias ContextSynchronize = @convention(c) () -> Result
  typealias MemoryAllocate = @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> Result
  typealias MemoryFree = @convention(c) (UInt64) -> Result
  typealias CopyHostToDevice = @convention(c) (UInt64, UnsafeRawPointer, Int) -> Result
  typealias CopyDeviceToHost = @convention(c) (UnsafeMutableRawPointer, UInt64, Int) -> Result
  typealias ModuleLoadData = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeRawPointer) -> Result
  typealias ModuleUnload = @convention(c) (OpaquePointer?) -> Result
  typealias ModuleGetFunction =
    @convention(c) (UnsafeMutablePointer<OpaquePointer?>, OpaquePointer?, UnsafePointer<CChar>) -> Result
  typealias LaunchKernel =
    @convention(c) (
      OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, OpaquePointer?,
      UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    ) -> Result
  typealias GetErrorText = @convention(c) (Result, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Result

  /// The library that was opened.
  public let library: String
  private let handle: UnsafeMutableRawPointer
  let initialize: Init
  let driverGetVersion: DriverGetVersion
  let deviceGetCount: DeviceGetCount
  let deviceGet: DeviceGet
  let deviceGetName: DeviceGetName
  let deviceTotalMemory: DeviceTotalMemory
  let deviceGetAttribute: DeviceGetAttribute
  let primaryContextRetain: PrimaryContextRetain
  let primaryContextRelease: PrimaryContextRelease
  let contextSetCurrent: ContextSetCurrent
  let contextSynchronize: ContextSynchronize
  let memoryAllocate: MemoryAllocate
  let memoryFree: MemoryFree
  let copyHostToDevice: CopyHostToDevice
  let copyDeviceToHost: CopyDeviceToHost
  let moduleLoadData: ModuleLoadData
  let moduleUnload: ModuleUnload
  let moduleGetFunction: ModuleGetFunction
  let launchKernel: LaunchKernel
  let getErrorName: GetErrorText
  let getErrorString: GetErrorText

  /// The default library name, or `EFFICIENTNET_LIBCUDA` when set (a path to another driver build).
  public static var defaultLibrary: String {
    ProcessInfo.processInfo.environment["EFFICIENTNET_LIBCUDA"] ?? "libcuda.so.1"
  }

  /// Opens the driver at `path` and binds every entry point, then calls `cuInit(0)`.
  ///
  /// - Throws: ``CUDAError/libraryUnavailable(library:reason:)`` without a driver,
  ///   ``CUDAError/missingSymbol(_:library:)`` for an old one, or cuInit's error.
  public init(path: String = CUDADriver.defaultLibrary) throws {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
      throw CUDAError.libraryUnavailable(library: path, reason: reason)
    }
    library = path
    self.handle = handle
    func bind<Function>(_ name: String, as _: Function.Type) throws -> Function {
      guard let symbol = dlsym(handle, name) else { throw CUDAError.missingSymbol(name, library: path) }
      return unsafeBitCast(symbol, to: Function.self)
    }
    do {
      initialize = try bind("cuInit", as: Init.self)
      driverGetVersion = try bind("cuDriverGetVersion", as: DriverGetVersion.self)
      deviceGetCount = try bind("cuDeviceGetCount", as: DeviceGetCount.self)
      deviceGet = try bind("cuDeviceGet", as: DeviceGet.self)
      deviceGetName = try bind("cuDeviceGetName", as: DeviceGetName.self)
      deviceTotalMemory = try bind("cuDeviceTotalMem_v2", as: DeviceTotalMemory.self)
      deviceGetAttribute = try bind("cuDeviceGetAttribute", as: DeviceGetAttribute.self)
      primaryContextRetain = try bind("cuDevicePrimaryCtxRetain", as: PrimaryContextRetain.self)
      primaryContextRelease = try bind("cuDevicePrimaryCtxRelease_v2", as: PrimaryContextRelease.self)
      contextSetCurrent = try bind("cuCtxSetCurrent", as: ContextSetCurrent.self)
      contextSynchronize = try bind("cuCtxSynchronize", as: ContextSynchronize.self)
      memoryAllocate = try bind("cuMemAlloc_v2", as: MemoryAllocate.self)
      memoryFree = try bind("cuMemFree_v2", as: MemoryFree.self)
      copyHostToDevice = try bind("cuMemcpyHtoD_v2", as: CopyHostToDevice.self)
      copyDeviceToHost = try bind("cuMemcpyDtoH_v2", as: CopyDeviceToHost.self)
      moduleLoadData = try bind("cuModuleLoadData", as: ModuleLoadData.self)
      moduleUnload = try bind("cuModuleUnload", as: ModuleUnload.self)
      moduleGetFunction = try bind("cuModuleGetFunction", as: ModuleGetFunction.self)
      launchKernel = try bind("cuLaunchKernel", as: LaunchKernel.self)
      getErrorName = try bind("cuGetErrorName", as: GetErrorText.self)
      getErrorString = try bind("cuGetErrorString", as: GetErrorText.self)
    } catch {
      dlclose(handle)
      throw error
    }
    try check(initialize(0), "cuInit")
  }

  deinit { dlclose(handle) }

  /// Throws ``CUDAError/call(function:code:name:message:)`` unless `result` is `CUDA_SUCCESS` (0).
  public func check(_ result: Result, _ function: String) throws {
    guard result != 0 else { return }
    var name: UnsafePointer<CChar>?
    var message: UnsafePointer<CChar>?
    _ = getErrorName(result, &name)
    _ = getErrorString(result, &message)
    throw CUDAError.call(
      function: function, code: result, name: name.map { String(cString: $0) } ?? "CUDA_ERROR_\(result)",
      message: message.map { String(cString: $0) } ?? "no description")
  }

  /// The driver's CUDA version as (major, minor), e.g. (13, 0).
  public func version() throws -> (major: Int, minor: Int) {
    var version: Int32 = 0
    try check(driverGetVersion(&version), "cuDriverGetVersion")
    return (Int(version) / 1000, Int(version) % 1000 / 10)
  }

  /// The number of CUDA devices.
  public func deviceCount() throws -> Int {
    var count: Int32 = 0
    try check(deviceGetCount(&count), "cuDeviceGetCount")
    return Int(count)
  }
}
