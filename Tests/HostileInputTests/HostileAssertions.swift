import EfficientNetTestSupport
import Foundation
import XCTest

/// The one verdict every hostile case must earn: the tool exits (no signal, no deadline kill) with a
/// failure status, its error names what was wrong, and its peak memory stayed bounded.
func assertRefused(
  _ outcome: ToolOutcome, naming fragments: [String], peakMemoryMiB: Int = 600,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertFalse(outcome.timedOut, "hung: \(outcome.summary)", file: file, line: line)
  XCTAssertNil(outcome.signal, "crashed: \(outcome.summary)", file: file, line: line)
  if let status = outcome.exitStatus {
    XCTAssertNotEqual(status, 0, "accepted: \(outcome.summary)", file: file, line: line)
  }
  for fragment in fragments {
    XCTAssertTrue(
      outcome.error.localizedCaseInsensitiveContains(fragment),
      "the error does not name \"\(fragment)\": \(outcome.summary)", file: file, line: line)
  }
  XCTAssertFalse(
    outcome.error.contains("NSCocoaErrorDomain") || outcome.error.contains("Error Domain="),
    "a raw Foundation error: \(outcome.summary)", file: file, line: line)
  // The bound is over what the spawn inherits from this (large) test process.
  XCTAssertLessThan(
    outcome.peakMemoryBytes, max(peakMemoryMiB << 20, outcome.inheritedMemoryBytes + (64 << 20)),
    "memory: \(outcome.summary)", file: file, line: line)
}

/// Runs the tool with `arguments` and asserts it refuses them (see ``assertRefused(_:naming:peakMemoryMiB:file:line:)``).
@discardableResult
func assertToolRefuses(
  _ arguments: [String], naming fragments: [String], peakMemoryMiB: Int = 600, deadline: Double = 60,
  workingDirectory: URL? = nil, file: StaticString = #filePath, line: UInt = #line
) throws -> ToolOutcome {
  let outcome = try ToolProcess.run(arguments, deadline: deadline, workingDirectory: workingDirectory)
  assertRefused(outcome, naming: fragments, peakMemoryMiB: peakMemoryMiB, file: file, line: line)
  return outcome
}
