import EfficientNetCUDA
import EfficientNetTestSupport
import Foundation
import XCTest

/// `--device` on the commands that run a network: without a driver `cuda` is an error naming the
/// flag and the reason, `auto` runs on the CPU and says so, and a bad value is refused by name.
final class DeviceOptionTests: XCTestCase {
  func testCUDAWithoutADriverIsAnErrorAndAutoRunsOnTheCPU() throws {
    if (try? CUDADriver()) != nil { throw XCTSkip("this machine has an NVIDIA driver") }
    let photo = RepositoryPaths.samples.appendingPathComponent("chelsea.jpg").path
    let refused = try CLITool.run(["classify", "--device", "cuda", photo])
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.error.contains("--device cuda: no NVIDIA driver"), refused.error)
    let auto = try CLITool.run(["classify", "--device", "auto", "--top", "1", photo])
    XCTAssertEqual(auto.status, 0, auto.error)
    XCTAssertTrue(auto.output.contains("tabby"), auto.output)
    XCTAssertTrue(auto.error.contains("--device auto: running on the CPU"), auto.error)
    for command in [["bench", "--iterations", "1"], ["embed", photo, "--output", "/dev/null"]] {
      let result = try CLITool.run(command + ["--device", "cuda"])
      XCTAssertTrue(result.error.contains("--device cuda: no NVIDIA driver"), "\(command): \(result.error)")
    }
    let cpuOnly = try CLITool.run(["embed", photo, "--output", "/dev/null", "--device", "auto"])
    XCTAssertTrue(cpuOnly.error.contains("running on the CPU"), cpuOnly.error)
    let bad = try CLITool.run(["run", "--device", "gpu"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.error.contains("'gpu' is invalid for '--device"), bad.error)
  }

  /// `classify --device cuda` through the stub driver (which runs the CUDA kernels' own source on the
  /// CPU): the same classes as the CPU, probabilities within 1e-5; other commands say they run on
  /// the CPU only so far.
  func testClassifyOnTheCUDAEngineAnswersAsTheCPUDoes() throws {
    let stub = try StubDriver.build()
    let photos = ["chelsea.jpg", "coffee.jpg"].map { RepositoryPaths.samples.appendingPathComponent($0).path }
    let environment = ["EFFICIENTNET_LIBCUDA": stub.path]
    let cpu = try CLITool.run(["classify", "--json"] + photos)
    let gpu = try CLITool.run(["classify", "--json", "--device", "cuda"] + photos, environment: environment)
    XCTAssertEqual(cpu.status, 0, cpu.error)
    XCTAssertEqual(gpu.status, 0, gpu.error)
    struct Line: Decodable {
      struct Entry: Decodable {
        var `class`: Int
        var probability: Float
      }
      var file: String
      var top: [Entry]
    }
    let decode = { (text: String) in
      try text.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }
    let (expected, got) = (try decode(cpu.output), try decode(gpu.output))
    XCTAssertEqual(got.count, 2)
    for (a, b) in zip(got, expected) {
      XCTAssertEqual(a.file, b.file)
      XCTAssertEqual(a.top.map(\.class), b.top.map(\.class))
      for (x, y) in zip(a.top, b.top) { XCTAssertEqual(x.probability, y.probability, accuracy: 1e-5) }
    }
    XCTAssertEqual(got.first?.top.first?.class, 281)
    let cublas = try StubDriver.buildCUBLAS()
    let tf32 = try CLITool.run(
      ["classify", "--json", "--device", "cuda", "--precision", "tf32"] + photos,
      environment: environment.merging(["EFFICIENTNET_LIBCUBLAS": cublas.path, "STUB_CUBLAS_TRACE": "1"]) {
        $1
      })
    XCTAssertEqual(tf32.status, 0, tf32.error)
    XCTAssertTrue(tf32.error.contains("compute type 77"), "TF32 reached cuBLAS: \(tf32.error)")
    XCTAssertEqual(try decode(tf32.output).map { $0.top.map(\.class) }, expected.map { $0.top.map(\.class) })
    let noBLAS = try CLITool.run(
      ["classify", "--device", "cuda", "--precision", "bf16", photos[0]], environment: environment)
    XCTAssertTrue(noBLAS.error.contains("--precision bf16 needs cuBLAS"), noBLAS.error)
    let bench = try CLITool.run(
      [
        "bench", "--model", "lite0", "--resolution", "64", "--iterations", "2", "--warmup", "1", "--device",
        "cuda",
        "--json",
      ], environment: environment)
    XCTAssertEqual(bench.status, 0, bench.error)
    XCTAssertTrue(bench.error.contains("running on Stub GPU"), bench.error)
    let train = try CLITool.run(
      ["bench", "--train", "--iterations", "1", "--device", "cuda"], environment: environment)
    XCTAssertNotEqual(train.status, 0)
    XCTAssertTrue(train.error.contains("Stub GPU"), train.error)
    XCTAssertTrue(train.error.contains("runs on the CPU only so far"), train.error)
  }
}
