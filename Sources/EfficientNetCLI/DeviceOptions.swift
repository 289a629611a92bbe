import ArgumentParser
import EfficientNetCUDA
import EfficientNetModels
import Foundation

extension ComputeDeviceChoice: ExpressibleByArgument {}

/// `--precision`: how the GPU's matrix products take their inputs.
enum GPUPrecision: String, ExpressibleByArgument, CaseIterable {
  case fp32, tf32, bf16

  var computeType: CUBLAS.ComputeType {
    switch self {
    case .fp32: return .float32
    case .tf32: return .tensorFloat32
    case .bf16: return .bfloat16
    }
  }
}

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

  @Option(
    name: .long,
    help:
      "GPU matrix products: fp32 (strict, default), tf32 or bf16 (tensor-core inputs, float32 accumulation); cuBLAS only."
  )
  var precision: GPUPrecision = .fp32

  /// The CUDA engine for `model` on `gpu`, with the chosen precision for its cuBLAS products.
  func engine(for model: EfficientNet, on gpu: CUDADevice) throws -> CUDAInferenceEngine {
    let engine = try CUDAInferenceEngine(model: model, device: gpu)
    if let cublas = engine.cublas {
      cublas.computeType = precision.computeType
    } else if precision != .fp32 {
      FileHandle.standardError.write(
        Data(
          "note: --precision \(precision.rawValue) needs cuBLAS (\(engine.cublasNote ?? "not loaded")); fp32 kernels run\n"
            .utf8))
    }
    return engine
  }

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
    guard let gpu = try gpu() else { return }
    let found = (try? gpu.summary()) ?? gpu.name
    let message =
      "\(found) found, but this command runs on the CPU only so far (the CUDA engine serves classify)"
    guard device == .auto else { throw CommandError("--device cuda: \(message); run with --device cpu") }
    FileHandle.standardError.write(Data("note: --device auto: \(message); running on the CPU\n".utf8))
  }
}
