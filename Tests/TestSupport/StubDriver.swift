import EfficientNetTestSupport
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// The stub `libcuda.so.1` (Stub/cuda_stub.cpp, which includes the project's kernel source),
/// compiled once per test run with the system C++ compiler, and its control functions, reached through the same loaded library the binding uses.
public enum StubDriver {
  /// A build of the stub: its path and its control functions.
  public struct Build {
    /// The library's path.
    public let path: String
    let handle: UnsafeMutableRawPointer

    /// The stub's control function `name`.
    public func function<Function>(_ name: String, as _: Function.Type) -> Function {
      unsafeBitCast(dlsym(handle, name)!, to: Function.self)
    }

    /// Allocations not freed yet.
    public var liveAllocations: Int {
      Int(function("stub_live_allocations", as: (@convention(c) () -> Int32).self)())
    }
    /// Primary-context retains minus releases.
    public var contextRetains: Int {
      Int(function("stub_context_retains", as: (@convention(c) () -> Int32).self)())
    }
    /// Modules loaded minus unloaded.
    public var modulesLoaded: Int {
      Int(function("stub_modules_loaded", as: (@convention(c) () -> Int32).self)())
    }
    /// The first four bytes of the last module image, little endian.
    public var imageMagic: UInt32 { function("stub_image_magic", as: (@convention(c) () -> UInt32).self)() }
    /// Makes the next call of `name` return `code`.
    public func fail(_ name: String, code: Int32) {
      function("stub_fail", as: (@convention(c) (UnsafePointer<CChar>, Int32) -> Void).self)(name, code)
    }
    /// Sets how many devices the driver reports.
    public func setDeviceCount(_ count: Int32) {
      function("stub_set_device_count", as: (@convention(c) (Int32) -> Void).self)(count)
    }
    /// Products the stub cuBLAS computed, and the compute type of the last.
    public var cublasProducts: (count: Int, lastComputeType: Int) {
      (
        Int(function("stub_cublas_products", as: (@convention(c) () -> Int32).self)()),
        Int(function("stub_cublas_last_compute_type", as: (@convention(c) () -> Int32).self)())
      )
    }
    /// The grid and block of the last launch.
    public var lastLaunch: (grid: [UInt32], block: [UInt32]) {
      var grid = [UInt32](repeating: 0, count: 3), block = [UInt32](repeating: 0, count: 3)
      function(
        "stub_last_launch",
        as: (@convention(c) (UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>) -> Void).self)(
          &grid, &block)
      return (grid, block)
    }
  }

  private static let builds = NSLock()
  nonisolated(unsafe) private static var cache: [String: Build] = [:]

  /// The stub cuBLAS (Stub/cublas_stub.cpp) as `libcublas.so.13`: its path and its handle.
  public static func buildCUBLAS() throws -> Build {
    try build(source: "cublas_stub.cpp", library: "libcublas.so.13", defines: [])
  }

  /// The stub built with `defines` (e.g. `STUB_OMIT_ALLOCATION`), compiled on first use.
  public static func build(defines: [String] = []) throws -> Build {
    try build(source: "cuda_stub.cpp", library: "libcuda.so.1", defines: defines)
  }

  private static func build(source name: String, library libraryName: String, defines: [String]) throws
    -> Build
  {
    builds.lock()
    defer { builds.unlock() }
    let key = ([name] + defines).joined(separator: ",")
    if let build = cache[key] { return build }
    let source = RepositoryPaths.root.appendingPathComponent("Tests/CUDATests/Stub/\(name)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cuda-stub-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let library = folder.appendingPathComponent(libraryName).path
    let compiler = ["/usr/bin/c++", "/usr/bin/g++", "/usr/bin/clang++"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
    guard let compiler else { throw XCTSkip("no C++ compiler to build the stub libcuda.so.1") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: compiler)
    process.arguments =
      ["-shared", "-fPIC", "-O2", "-std=c++17", "-o", library, source.path, "-lm"] + defines.map { "-D\($0)" }
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw StubBuildError("\(compiler) could not build \(source.path) (status \(process.terminationStatus))")
    }
    guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else {
      throw StubBuildError("dlopen \(library): \(String(cString: dlerror()))")
    }
    let build = Build(path: library, handle: handle)
    cache[key] = build
    return build
  }
}

/// A failure to build or open the stub.
public struct StubBuildError: Error, CustomStringConvertible {
  /// What failed.
  public var description: String
  init(_ description: String) { self.description = description }
}
