/// One GPU with its primary context current on the calling thread: what it is, and the memory,
/// modules and launches made on it.
public final class CUDADevice: @unchecked Sendable {
  /// The driver the device was found through.
  public let driver: CUDADriver
  /// The device's ordinal.
  public let ordinal: Int32
  /// The device's name, e.g. "NVIDIA H200".
  public let name: String
  /// Its memory in bytes.
  public let totalMemory: Int
  /// Its compute capability, e.g. (9, 0).
  public let computeCapability: (major: Int, minor: Int)
  let context: OpaquePointer?

  /// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR` and `_MINOR`.
  static let computeCapabilityMajor: Int32 = 75, computeCapabilityMinor: Int32 = 76

  /// The device `ordinal` of `driver`, its primary context retained and made current.
  ///
  /// - Throws: ``CUDAError/noDevice`` when the driver has no such device, or the failing call.
  public init(driver: CUDADriver, ordinal: Int = 0) throws {
    self.driver = driver
    guard try driver.deviceCount() > ordinal else { throw CUDAError.noDevice }
    var device: Int32 = 0
    try driver.check(driver.deviceGet(&device, Int32(ordinal)), "cuDeviceGet")
    self.ordinal = device
    var characters = [CChar](repeating: 0, count: 256)
    try driver.check(driver.deviceGetName(&characters, Int32(characters.count), device), "cuDeviceGetName")
    name = String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var bytes = 0
    try driver.check(driver.deviceTotalMemory(&bytes, device), "cuDeviceTotalMem_v2")
    totalMemory = bytes
    var major: Int32 = 0, minor: Int32 = 0
    try driver.check(
      driver.deviceGetAttribute(&major, Self.computeCapabilityMajor, device), "cuDeviceGetAttribute")
    try driver.check(
      driver.deviceGetAttribute(&minor, Self.computeCapabilityMinor, device), "cuDeviceGetAttribute")
    computeCapability = (Int(major), Int(minor))
    var context: OpaquePointer?
    try driver.check(driver.primaryContextRetain(&context, device), "cuDevicePrimaryCtxRetain")
    self.context = context
    do {
      try driver.check(driver.contextSetCurrent(context), "cuCtxSetCurrent")
    } catch {
      _ = driver.primaryContextRelease(device)
      throw error
    }
  }

  deinit { _ = driver.primaryContextRelease(ordinal) }

  /// Makes the device's context current on the calling thread (each thread that calls CUDA must).
  public func makeCurrent() throws {
    try driver.check(driver.contextSetCurrent(context), "cuCtxSetCurrent")
  }

  /// Waits for every launch and copy on the device to finish, and reports a kernel's fault.
  public func synchronize() throws {
    try driver.check(driver.contextSynchronize(), "cuCtxSynchronize")
  }

  /// One line for logs: name, memory, compute capability and driver version.
  public func summary() throws -> String {
    let version = try driver.version()
    let gibibytes = Double(totalMemory) / Double(1 << 30)
    return "\(name), \(String(format: "%.1f", gibibytes)) GiB, compute capability "
      + "\(computeCapability.major).\(computeCapability.minor), driver CUDA \(version.major).\(version.minor)"
  }
}
