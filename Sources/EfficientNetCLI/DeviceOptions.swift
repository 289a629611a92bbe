import ArgumentParser
import EfficientNetCUDA
import Foundation

extension ComputeDeviceChoice: ExpressibleByArgument {}

/// `--device cpu|cuda|auto`, shared by the commands that run a network.
///
/// The CUDA binding (driver loading, memory, the project's kernels) is in place and tested against a
/// stub driver; the CUDA engine that would run EfficientNet on the GPU is not part of this build yet.
/// So `cuda` is an error that says what was found, and `auto` runs on the CPU and says why.
struct DeviceOptions: ParsableArguments {
  @Option(
    name: .long,
    help:
      "Where to run: cpu (default), cuda (an NVIDIA GPU; an error without one) or auto (the GPU when usable)."
  )
  var device: ComputeDeviceChoice = .cpu

  /// Checks the choice; returns when the command runs on the CPU engine, after saying why when
  /// `auto` fell back to it.
  func requireCPUEngine() throws {
    guard device != .cpu else { return }
    let resolved: (device: ResolvedComputeDevice, note: String?)
    do {
      resolved = try ResolvedComputeDevice.resolve(device)
    } catch {
      throw CommandError("--device \(device.rawValue): \(error)")
    }
    switch resolved.device {
    case .cpu:
      if let note = resolved.note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
    case .cuda(let gpu):
      let found = (try? gpu.summary()) ?? gpu.name
      let message = "\(found) found, but the CUDA engine is not part of this build yet"
      guard device == .auto else { throw CommandError("--device cuda: \(message); run with --device cpu") }
      FileHandle.standardError.write(Data("note: --device auto: \(message); running on the CPU\n".utf8))
    }
  }
}
