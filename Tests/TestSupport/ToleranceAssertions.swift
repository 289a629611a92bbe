import EfficientNetCore
import XCTest

/// Asserts the arrays have the same length and differ by at most `tolerance` at every element (a NaN
/// difference fails), reporting the worst element.
public func assertClose(
  _ actual: [Float], _ expected: [Float], tolerance: Float, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "\(message): count", file: file, line: line)
  guard actual.count == expected.count, !actual.isEmpty else { return }
  var worstIndex = 0
  var worst: Float = 0
  for index in actual.indices {
    let difference = abs(actual[index] - expected[index])
    // NaN counts as the worst difference there is.
    if difference.isNaN || difference > worst, !worst.isNaN {
      worst = difference
      worstIndex = index
    }
  }
  XCTAssertLessThanOrEqual(
    worst, tolerance,
    "\(message): max |difference| \(worst) at \(worstIndex) (got \(actual[worstIndex]), want \(expected[worstIndex]))",
    file: file, line: line)
}

/// Asserts the tensors have the same shape and differ by at most `tolerance` at every element.
public func assertClose(
  _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.shape, expected.shape, "\(message): shape", file: file, line: line)
  guard actual.shape == expected.shape else { return }
  assertClose(actual.scalars, expected.scalars, tolerance: tolerance, message, file: file, line: line)
}

/// The largest absolute value of a tensor.
public func maxMagnitude(_ tensor: Tensor) -> Float {
  tensor.withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } }
}
