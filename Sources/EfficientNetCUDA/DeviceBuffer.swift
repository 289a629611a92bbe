/// Device memory of a fixed number of floats, freed when the buffer goes away.
public final class DeviceBuffer: @unchecked Sendable {
  /// The device the memory is on.
  public let device: CUDADevice
  /// The device address.
  public let address: UInt64
  /// The number of floats.
  public let count: Int

  /// Allocates `count` floats on `device` (uninitialized).
  public init(device: CUDADevice, count: Int) throws {
    precondition(count >= 0, "DeviceBuffer: negative count")
    self.device = device
    self.count = count
    var address: UInt64 = 0
    try device.driver.check(
      device.driver.memoryAllocate(&address, max(1, count) * MemoryLayout<Float>.size), "cuMemAlloc_v2")
    self.address = address
  }

  /// A buffer holding a copy of `values`.
  public convenience init(device: CUDADevice, copying values: [Float]) throws {
    try self.init(device: device, count: values.count)
    try upload(values)
  }

  deinit { _ = device.driver.memoryFree(address) }

  /// Copies `values` (at most ``count`` of them) to the start of the buffer.
  public func upload(_ values: [Float]) throws {
    precondition(values.count <= count, "DeviceBuffer.upload: \(values.count) values for \(count)")
    try values.withUnsafeBytes { bytes in
      guard let base = bytes.baseAddress else { return }
      try device.driver.check(device.driver.copyHostToDevice(address, base, bytes.count), "cuMemcpyHtoD_v2")
    }
  }

  /// The buffer's first `prefix` values (all by default), copied to the host.
  public func download(prefix: Int? = nil) throws -> [Float] {
    let length = prefix ?? count
    precondition(length <= count, "DeviceBuffer.download: \(length) values of \(count)")
    var values = [Float](repeating: 0, count: length)
    try values.withUnsafeMutableBytes { bytes in
      guard let base = bytes.baseAddress else { return }
      try device.driver.check(device.driver.copyDeviceToHost(base, address, bytes.count), "cuMemcpyDtoH_v2")
    }
    return values
  }
}
