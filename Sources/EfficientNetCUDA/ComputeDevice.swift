/// Where a command runs: `--device cpu|cuda|auto`.
public enum ComputeDeviceChoice: String, CaseIterable, Sendable {
  /// The CPU engine (the default).
  case cpu
  /// An NVIDIA GPU; an error when none can be used.
  case cuda
  /// The GPU when one can be used, else the CPU.
  case auto
}

/// The device a command resolved to.
public enum ResolvedComputeDevice: Sendable {
  /// The CPU engine.
  case cpu
  /// A GPU, opened.
  case cuda(CUDADevice)

  /// Resolves `choice`: `cuda` opens the driver and the first device or throws why it cannot;
  /// `auto` falls back to the CPU (with the reason) when no GPU can be used.
  public static func resolve(_ choice: ComputeDeviceChoice, library: String = CUDADriver.defaultLibrary)
    throws
    -> (device: ResolvedComputeDevice, note: String?)
  {
    switch choice {
    case .cpu: return (.cpu, nil)
    case .cuda: return (.cuda(try CUDADevice(driver: try CUDADriver(path: library))), nil)
    case .auto:
      do {
        return (.cuda(try CUDADevice(driver: try CUDADriver(path: library))), nil)
      } catch let error as CUDAError {
        return (.cpu, "--device auto: running on the CPU (\(error))")
      }
    }
  }
}
