import EfficientNetTestSupport
import Foundation
import XCTest

/// `efficientnet serve`'s flags: each bad one is refused before anything listens, naming the flag.
final class ServeCommandTests: XCTestCase {
  func testBadFlagsAreRefusedByName() throws {
    let folder = try makeTemporaryFolder("serve-flags")
    let emptyToken = folder.appendingPathComponent("token")
    try Data("  \n".utf8).write(to: emptyToken)
    let cases: [([String], String)] = [
      (["--port", "70000"], "--port"),
      (["--max-batch", "0"], "--max-batch"),
      (["--max-delay-ms", "-1"], "--max-delay-ms"),
      (["--queue", "0"], "--queue"),
      (["--max-body-mb", "0"], "--max-body-mb"),
      (["--model", "b0", "--model", "b0"], "--model b0 is given twice"),
      (["--weights", folder.appendingPathComponent("missing.safetensors").path], "missing.safetensors"),
      (["--model", "no_such_model"], "no_such_model"),
      (["--model", "tf_efficientdet_d0"], "give its --weights"),
      (["--token-file", emptyToken.path], "--token-file"),
      (["--token-file", folder.appendingPathComponent("absent").path], "--token-file"),
    ]
    for (arguments, fragment) in cases {
      let result = try CLITool.run(["serve", "--port", "0"] + arguments)
      XCTAssertNotEqual(result.status, 0, "\(arguments)")
      XCTAssertTrue(result.error.contains(fragment), "\(arguments): \(result.error)")
    }
  }
}
