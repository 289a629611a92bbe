import EfficientNetImageIO
import Foundation
import XCTest

/// Decode speed on the chest X-rays (968×592 to 1776×1416 grayscale JPEGs), one thread. Runs only when
/// the environment variable EFFICIENTNET_DECODE_BENCHMARK is set, so the normal test run stays fast:
///
///     EFFICIENTNET_DECODE_BENCHMARK=1 swift test -c release --filter DecodingBenchmarkTests
///
/// Compare with Pillow: `Image.open(p).convert("RGB")` over the same files.
final class DecodingBenchmarkTests: XCTestCase {
  func testChestXrayDecodeThroughput() throws {
    guard ProcessInfo.processInfo.environment["EFFICIENTNET_DECODE_BENCHMARK"] != nil else {
      throw XCTSkip("set EFFICIENTNET_DECODE_BENCHMARK=1 to run")
    }
    let root = URL(fileURLWithPath: "/work/shared/data/chest-xray-16")
    let enumerator = FileManager.default.enumerator(atPath: root.path)
    let paths = (enumerator?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".jpeg") }.sorted()
    if paths.isEmpty { throw XCTSkip("no chest X-rays in \(root.path)") }
    let files = try paths.map { (name: $0, data: try Data(contentsOf: root.appendingPathComponent($0))) }
    let rounds = 7

    /// Times `rounds` passes over all files; reports the best and the median pass (the machine is shared,
    /// so the best pass is the least disturbed one).
    func measure(_ label: String, _ body: (Data, String) throws -> Int) rethrows {
      _ = try body(files[0].data, files[0].name)  // warm up
      var checksum = 0
      var passSeconds: [Double] = []
      for _ in 0..<rounds {
        let start = Date()
        for file in files { checksum &+= try body(file.data, file.name) }
        passSeconds.append(Date().timeIntervalSince(start))
      }
      passSeconds.sort()
      let best = Double(files.count) / passSeconds[0]
      let median = Double(files.count) / passSeconds[rounds / 2]
      print(
        String(
          format: "%@: best %.1f images/s (%.2f ms/image), median %.1f images/s, checksum %d", label, best,
          1000 / best, median, checksum))
    }
    try measure("decode (gray, in memory)") { data, name in
      try ImageDecoder.decode(data: data, source: name).samples8.count
    }
    try measure("decode + convertedToRGB8 (in memory)") { data, name in
      try ImageDecoder.decode(data: data, source: name).convertedToRGB8().samples8.count
    }
    try measure("decode with pixelFormat .rgb8 (in memory)") { data, name in
      try ImageDecoder.decode(data: data, source: name, pixelFormat: .rgb8).samples8.count
    }
    try measure("read file + decode .rgb8") { _, name in
      try ImageDecoder.decode(contentsOf: root.appendingPathComponent(name), pixelFormat: .rgb8).samples8
        .count
    }
    try measure("read file + decode + convertedToRGB8") { _, name in
      try ImageDecoder.decode(contentsOf: root.appendingPathComponent(name)).convertedToRGB8().samples8.count
    }
  }
}
