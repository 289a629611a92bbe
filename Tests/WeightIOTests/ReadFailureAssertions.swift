import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Asserts that `read` (which returns how many tensors it read) throws a `Failure` whose description
/// names `source`, and returns that error.
@discardableResult
func assertReadingFails<Failure: Error & CustomStringConvertible>(
  _ type: Failure.Type, source: String, file: StaticString = #filePath, line: UInt = #line,
  _ read: () throws -> Int
) -> Failure? {
  let error = assertThrows(type, read, describe: { "\($0) tensors" }, file: file, line: line)
  if let error {
    XCTAssertTrue(
      error.description.contains(source), "'\(error)' does not name \(source)", file: file, line: line)
  }
  return error
}

/// Asserts that reading `data` as safetensors throws a `WeightIOError` naming `source`, and returns it.
@discardableResult
func assertReadFails(
  _ data: Data, source: String = "test.safetensors", file: StaticString = #filePath, line: UInt = #line
) -> WeightIOError? {
  assertReadingFails(WeightIOError.self, source: source, file: file, line: line) {
    try SafeTensorsFile(data: data, source: source).count
  }
}

/// Asserts that reading `data` as a PyTorch checkpoint throws a `CheckpointError` naming `source`, and
/// returns it.
@discardableResult
func assertCheckpointFails(
  _ data: Data, source: String = "test.pth", file: StaticString = #filePath, line: UInt = #line
) -> CheckpointError? {
  assertReadingFails(CheckpointError.self, source: source, file: file, line: line) {
    try PyTorchCheckpoint(data: data, source: source).count
  }
}
