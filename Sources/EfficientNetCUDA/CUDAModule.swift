/// A loaded module of kernels (a fatbin, cubin or PTX image) and its functions.
public final class CUDAModule: @unchecked Sendable {
  /// The device the module is loaded on.
  public let device: CUDADevice
  let handle: OpaquePointer?

  /// Loads `image` (a fatbin, cubin, or NUL-terminated PTX) onto `device`.
  public init(device: CUDADevice, image: [UInt8]) throws {
    self.device = device
    var handle: OpaquePointer?
    try image.withUnsafeBytes { bytes in
      try device.driver.check(device.driver.moduleLoadData(&handle, bytes.baseAddress!), "cuModuleLoadData")
    }
    self.handle = handle
  }

  deinit { _ = device.driver.moduleUnload(handle) }

  /// The kernel named `name` (its `extern "C"` name).
  public func function(_ name: String) throws -> CUDAFunction {
    var function: OpaquePointer?
    try device.driver.check(
      device.driver.moduleGetFunction(&function, handle, name), "cuModuleGetFunction(\(name))")
    return CUDAFunction(module: self, name: name, handle: function)
  }
}

/// A value passed to a kernel, by value as CUDA's `void**` parameter array expects.
public enum KernelArgument {
  /// A device buffer's address (a `float*` parameter).
  case buffer(DeviceBuffer)
  /// An `int` parameter.
  case int32(Int32)
  /// A `float` parameter.
  case float(Float)
  /// A null pointer (an optional input left out).
  case null

  /// The argument's bytes, written into 8 bytes of `slot`.
  func store(into slot: UnsafeMutableRawPointer) {
    switch self {
    case .buffer(let buffer): slot.storeBytes(of: buffer.address, as: UInt64.self)
    case .int32(let value): slot.storeBytes(of: value, as: Int32.self)
    case .float(let value): slot.storeBytes(of: value, as: Float.self)
    case .null: slot.storeBytes(of: UInt64(0), as: UInt64.self)
    }
  }
}

/// One kernel of a loaded module.
public struct CUDAFunction {
  /// The module that holds it (kept alive while the function is).
  public let module: CUDAModule
  /// Its name.
  public let name: String
  let handle: OpaquePointer?

  /// Launches the kernel on the default stream with `grid` × `block` threads and `arguments` in
  /// the kernel's parameter order.
  public func launch(
    grid: (x: Int, y: Int, z: Int), block: (x: Int, y: Int, z: Int), sharedMemoryBytes: Int = 0,
    arguments: [KernelArgument]
  ) throws {
    let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, arguments.count) * 8, alignment: 8)
    defer { storage.deallocate() }
    var pointers = [UnsafeMutableRawPointer?](repeating: nil, count: arguments.count + 1)
    for (index, argument) in arguments.enumerated() {
      let slot = storage + index * 8
      argument.store(into: slot)
      pointers[index] = slot
    }
    let driver = module.device.driver
    try pointers.withUnsafeMutableBufferPointer { parameters in
      try driver.check(
        driver.launchKernel(
          handle, UInt32(grid.x), UInt32(grid.y), UInt32(grid.z), UInt32(block.x), UInt32(block.y),
          UInt32(block.z),
          UInt32(sharedMemoryBytes), nil, parameters.baseAddress, nil),
        "cuLaunchKernel(\(name))")
    }
  }
}
