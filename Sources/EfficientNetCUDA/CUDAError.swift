/// Why the CUDA path cannot run, or which driver call failed and how.
public enum CUDAError: Error, Equatable, CustomStringConvertible {
  /// The driver library could not be opened (no NVIDIA driver on this machine).
  case libraryUnavailable(library: String, reason: String)
  /// The library lacks an entry point this binding needs (a driver too old for CUDA 12).
  case missingSymbol(String, library: String)
  /// The driver found no CUDA device.
  case noDevice
  /// A driver call returned an error code.
  case call(function: String, code: Int32, name: String, message: String)

  public var description: String {
    switch self {
    case .libraryUnavailable(let library, let reason):
      return "no NVIDIA driver: \(library) could not be loaded (\(reason))"
    case .missingSymbol(let symbol, let library):
      return "\(library) has no \(symbol): the driver is older than this binding needs (CUDA 12 or later)"
    case .noDevice: return "the NVIDIA driver reports no CUDA device"
    case .call(let function, let code, let name, let message):
      return "\(function) failed: \(name) (\(code)): \(message)"
    }
  }
}
