import EfficientNetCUDA
import EfficientNetTestSupport
import Foundation
import XCTest

/// The CUDA binding against the stub driver: device query and context, memory that round-trips and
/// is freed, the embedded kernels launched with their arguments (the stub runs a C emulation of
/// each on the "device" memory), every failing call reported with its name and the driver's message,
/// and the machine without a driver, where `--device auto` picks the CPU.
final class CUDABindingTests: XCTestCase {
  func testNoDriverIsAClearErrorAndAutoPicksTheCPU() throws {
    let missing = "/nonexistent/libcuda.so.1"
    XCTAssertThrowsError(try CUDADriver(path: missing)) { error in
      guard case .libraryUnavailable(let library, _)? = error as? CUDAError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(library, missing)
      XCTAssertTrue("\(error)".contains("no NVIDIA driver"), "\(error)")
    }
    XCTAssertThrowsError(try ResolvedComputeDevice.resolve(.cuda, library: missing))
    let (device, note) = try ResolvedComputeDevice.resolve(.auto, library: missing)
    guard case .cpu = device else { return XCTFail("auto without a driver should pick the CPU") }
    XCTAssertTrue(note?.contains("running on the CPU") == true, note ?? "no note")
    guard case .cpu = try ResolvedComputeDevice.resolve(.cpu, library: missing).device else {
      return XCTFail("cpu is cpu")
    }
  }

  func testDeviceQueryAndThePrimaryContext() throws {
    let stub = try StubDriver.build()
    let retains = stub.contextRetains
    do {
      let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
      XCTAssertEqual(device.name, "Stub GPU")
      XCTAssertEqual(device.totalMemory, 8 << 30)
      XCTAssertEqual(device.computeCapability.major, 9)
      XCTAssertEqual(device.computeCapability.minor, 0)
      XCTAssertEqual(try device.driver.version().major, 13)
      XCTAssertEqual(try device.summary(), "Stub GPU, 8.0 GiB, compute capability 9.0, driver CUDA 13.0")
      XCTAssertEqual(stub.contextRetains, retains + 1)
      try device.synchronize()
    }
    XCTAssertEqual(stub.contextRetains, retains, "the primary context is released with the device")
    guard case .cuda(let device) = try ResolvedComputeDevice.resolve(.auto, library: stub.path).device else {
      return XCTFail("auto with a driver and a device picks it")
    }
    XCTAssertEqual(device.name, "Stub GPU")
  }

  func testBuffersRoundTripAndAreFreed() throws {
    let stub = try StubDriver.build()
    let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
    let baseline = stub.liveAllocations
    do {
      let values = DeterministicWeights.uniform(count: 1000, name: "buffer").map(Float.init)
      let buffer = try DeviceBuffer(device: device, copying: values)
      XCTAssertEqual(try buffer.download(), values)
      let empty = try DeviceBuffer(device: device, count: 0)
      XCTAssertEqual(try empty.download(), [])
      XCTAssertEqual(stub.liveAllocations, baseline + 2)
    }
    XCTAssertEqual(stub.liveAllocations, baseline, "every allocation freed when its buffer goes")
  }

  func testEmbeddedKernelsRunWithTheirArguments() throws {
    let stub = try StubDriver.build()
    let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
    let allocations = stub.liveAllocations, modules = stub.modulesLoaded
    do {
      let kernels = try ProjectKernels(device: device)
      XCTAssertEqual(stub.imageMagic, 0xBA55_ED50, "the embedded image is a fatbin")
      let values = DeterministicWeights.uniform(count: 1000, name: "silu").map { Float(6 * $0) }
      let buffer = try DeviceBuffer(device: device, copying: values)
      try kernels.siluInPlace(buffer)
      let launch = stub.lastLaunch
      XCTAssertEqual(launch.grid, [4, 1, 1])
      XCTAssertEqual(launch.block, [256, 1, 1])
      let expected = values.map { $0 / (1 + exp(-$0)) }
      for (got, want) in zip(try buffer.download(), expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }

      let (images, pixels, channels) = (2, 49, 300)
      let features = DeterministicWeights.uniform(count: images * pixels * channels, name: "pool").map(
        Float.init)
      let input = try DeviceBuffer(device: device, copying: features)
      let output = try DeviceBuffer(device: device, count: images * channels)
      try kernels.globalAveragePool(input, into: output, images: images, pixels: pixels, channels: channels)
      XCTAssertEqual(stub.lastLaunch.grid, [2, 2, 1])
      let pooled = try output.download()
      for image in 0..<images {
        for channel in 0..<channels {
          var sum: Float = 0
          for pixel in 0..<pixels { sum += features[(image * pixels + pixel) * channels + channel] }
          XCTAssertEqual(pooled[image * channels + channel], sum / Float(pixels), accuracy: 1e-6)
        }
      }
    }
    XCTAssertEqual(stub.liveAllocations, allocations)
    XCTAssertEqual(stub.modulesLoaded, modules, "the module is unloaded with its last function")
  }

  func testEveryFailingCallIsReportedByNameWithTheDriversMessage() throws {
    let stub = try StubDriver.build()
    let device = try CUDADevice(driver: try CUDADriver(path: stub.path))
    let baseline = stub.liveAllocations
    stub.fail("cuMemAlloc_v2", code: 2)
    XCTAssertThrowsError(try DeviceBuffer(device: device, count: 10)) { error in
      XCTAssertEqual(
        error as? CUDAError,
        .call(function: "cuMemAlloc_v2", code: 2, name: "CUDA_ERROR_OUT_OF_MEMORY", message: "out of memory"))
    }
    let kernels = try ProjectKernels(device: device)
    let buffer = try DeviceBuffer(device: device, count: 10)
    stub.fail("cuLaunchKernel", code: 700)
    XCTAssertThrowsError(try kernels.siluInPlace(buffer)) { error in
      XCTAssertEqual(
        "\(error)",
        "cuLaunchKernel(silu_inplace) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered"
      )
    }
    stub.fail("cuMemcpyDtoH_v2", code: 1)
    XCTAssertThrowsError(try buffer.download()) { XCTAssertTrue("\($0)".contains("cuMemcpyDtoH_v2 failed")) }
    let module = try CUDAModule(device: device, image: [0x50, 0xED, 0x55, 0xBA])
    XCTAssertThrowsError(try module.function("no_such_kernel")) { error in
      XCTAssertTrue(
        "\(error)".contains("cuModuleGetFunction(no_such_kernel) failed: CUDA_ERROR_NOT_FOUND"), "\(error)")
    }
    stub.setDeviceCount(0)
    defer { stub.setDeviceCount(1) }
    XCTAssertThrowsError(try CUDADevice(driver: device.driver)) {
      XCTAssertEqual($0 as? CUDAError, .noDevice)
    }
    guard case .cpu = try ResolvedComputeDevice.resolve(.auto, library: stub.path).device else {
      return XCTFail("auto with no device picks the CPU")
    }
    XCTAssertEqual(stub.liveAllocations, baseline + 1, "only the live buffer holds memory")
  }

  func testADriverWithoutAnEntryPointIsNamed() throws {
    let old = try StubDriver.build(defines: ["STUB_OMIT_ALLOCATION"])
    XCTAssertThrowsError(try CUDADriver(path: old.path)) { error in
      XCTAssertEqual(error as? CUDAError, .missingSymbol("cuMemAlloc_v2", library: old.path))
    }
  }
}
