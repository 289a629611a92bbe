import EfficientNetCore
import Foundation
import WeightIO
import XCTest

/// Locates test fixtures: the repository's own, and the large ones in `../shared`.
enum Fixtures {
  /// `Tests/ModelTests/Fixtures`.
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")

  /// `shared/reference` beside the repository (or `$EFFICIENTNET_SHARED/reference`).
  static var sharedReference: URL {
    if let shared = ProcessInfo.processInfo.environment["EFFICIENTNET_SHARED"] {
      return URL(fileURLWithPath: shared).appendingPathComponent("reference")
    }
    return URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("shared/reference")
  }

  static func file(_ name: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(contentsOf: directory.appendingPathComponent(name))
  }

  /// A file from `shared/reference`, or a skip saying it is absent.
  static func shared(_ name: String) throws -> SafeTensorsFile {
    let url = sharedReference.appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw XCTSkip("\(url.path) is absent: the full-size fixture lives in ../shared/reference only")
    }
    return try SafeTensorsFile(contentsOf: url)
  }

  static func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
    let stored = try file.tensor(named: name)
    return Tensor(shape: stored.shape, values: stored.floats())
  }
}

/// Asserts `actual` is within `tolerance` of `expected` element by element (same shape).
func assertClose(
  _ actual: Tensor, _ expected: Tensor, tolerance: Float, _ message: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
  guard actual.shape == expected.shape else { return }
  var worst: Float = 0
  var worstIndex = 0
  for index in 0..<actual.count {
    let difference = abs(actual[flat: index] - expected[flat: index])
    if !(difference <= worst) {
      worst = difference
      worstIndex = index
    }
  }
  XCTAssertLessThanOrEqual(
    worst, tolerance,
    "\(message): max |difference| \(worst) at \(worstIndex) (got \(actual[flat: worstIndex]), want \(expected[flat: worstIndex]))",
    file: file, line: line)
}

/// The largest absolute value of a tensor.
func maxMagnitude(_ tensor: Tensor) -> Float {
  tensor.withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } }
}
