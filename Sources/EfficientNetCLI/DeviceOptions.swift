import ArgumentParser
import EfficientNetCUDA
import Foundation

extension ComputeDeviceChoice: ExpressibleByArgument {}

/// `--device cpu|cuda|auto`, shared by the commands that run a network.
///
/// `classify` runs on the GPU with the CUDA inference engine; the other commands run on the CPU only
/// so far, where `cuda` is an error that says what was found and `auto` runs on the CPU and says why.
struct DeviceOptions: ParsableArguments {
  @Option(
    name: .long,
    help:
      "Where to run: cpu (default), cuda (an NVIDIA GPU; an error without one) or auto (the GPU when usable)."
  )
  var device: ComputeDeviceChoice = .cpu

  /// The GPU to run on for a command the CUDA engine covers (`classify`): nil for the CPU (after
  /// saying why when `auto` fell back to it).
  func gpu() throws -> CUDADevice? {
    guard device != .cpu else { return nil }
    let resolved: (device: ResolvedComputeDevice, note: String?)
    do {
      resolved = try ResolvedComputeDevice.resolve(device)
    } catch {
      throw CommandError("--device \(device.rawValue): \(error)")
    }
    switch resolved.device {
    case .cpu:
      if let note = resolved.note { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
      return nil
    case .cuda(let gpu): return gpu
    }
  }

  /// Checks the choice for a command that runs on the CPU engine only so far; returns when it may
  /// run, after saying why when `auto` fell back to the CPU.
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
      let message =
        "\(found) found, but this command runs on the CPU only so far (the CUDA engine serves classify)"
      guard device == .auto else { throw CommandError("--device cuda: \(message); run with --device cpu") }
      FileHandle.standardError.write(Data("note: --device auto: \(message); running on the CPU\n".utf8))
    }
  }
}
