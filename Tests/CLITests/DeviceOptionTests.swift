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
    let bad = try CLITool.run(["run", "--device", "gpu"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.error.contains("'gpu' is invalid for '--device"), bad.error)
  }
}
