import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Damages a real file (the Python-written fixture) in many ways: every damaged copy must either read
/// consistently or throw a `WeightIOError` naming the file, never crash or hang.
final class SafeTensorsCorruptionTests: XCTestCase {
  private func fixtureBytes() throws -> [UInt8] {
    Array(try Data(contentsOf: TestFiles.small))
  }

  private func headerEnd(_ bytes: [UInt8]) -> Int {
    8 + Int(LittleEndian.integer(bytes[0..<8]))
  }

  /// Reads `bytes`; when it succeeds, touches every tensor's values so bad ranges would trap.
  private func readOrThrow(_ bytes: [UInt8], source: String) -> Result<Int, Error> {
    Result {
      let file = try SafeTensorsFile(data: Data(bytes), source: source)
      var total = 0
      for tensor in file.tensors {
        total += tensor.floats().count
        if tensor.dataType.isInteger { total += try tensor.int64s().count }
      }
      return total
    }
  }

  func testEveryTruncationThrowsAnErrorNamingTheFile() throws {
    let bytes = try fixtureBytes()
    // The fixture has no slack: its last tensor ends at the last byte, so any cut is detectable.
    XCTAssertGreaterThan(bytes.count, headerEnd(bytes))
    for length in 0..<bytes.count {
      let source = "cut-at-\(length).safetensors"
      assertReadFails(Data(bytes[0..<length]), source: source)
    }
  }

  func testTruncationInsideTheHeaderReportsTheSizes() throws {
    let bytes = try fixtureBytes()
    let error = assertReadFails(Data(bytes[0..<100]), source: "short.safetensors")
    XCTAssertEqual(
      error,
      .truncatedHeader(
        source: "short.safetensors", headerByteCount: UInt64(headerEnd(bytes) - 8), availableByteCount: 92))
  }

  func testInvertingAnyHeaderByteThrows() throws {
    let bytes = try fixtureBytes()
    // Inverting an ASCII byte gives a byte >= 0x80 that is invalid UTF-8 in context, or breaks the JSON
    // structure, or the length field: every case must be an error.
    for index in 0..<headerEnd(bytes) {
      var damaged = bytes
      damaged[index] ^= 0xFF
      assertReadFails(Data(damaged), source: "inverted-\(index).safetensors")
    }
  }

  func testSingleBitFlipsInTheHeaderReadConsistentlyOrThrow() throws {
    let bytes = try fixtureBytes()
    var failures = 0
    var successes = 0
    for index in 0..<headerEnd(bytes) {
      for bit in 0..<8 {
        var damaged = bytes
        damaged[index] ^= UInt8(1 << bit)
        let source = "flip-\(index)-\(bit).safetensors"
        switch readOrThrow(damaged, source: source) {
        case .success: successes += 1
        case .failure(let error as WeightIOError):
          failures += 1
          XCTAssertTrue(error.description.contains(source), error.description)
        case .failure(let error): XCTFail("not a WeightIOError: \(error)")
        }
      }
    }
    // Some flips only rename a tensor or change a metadata character, which is still a valid file.
    XCTAssertGreaterThan(successes, 0)
    XCTAssertGreaterThan(failures, successes)
  }

  func testRandomMultiByteDamageReadsConsistentlyOrThrows() throws {
    let bytes = try fixtureBytes()
    var generator = SplitMix64(seed: 2024)
    let interesting: [UInt8] = Array("{}[]\":,0123456789-. eE\\u".utf8) + [0x00, 0x80, 0xC3, 0xFF]
    for trial in 0..<3000 {
      var damaged = bytes
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        let index = Int.random(in: 0..<headerEnd(bytes), using: &generator)
        damaged[index] =
          Bool.random(using: &generator)
          ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
      }
      if Bool.random(using: &generator) {
        damaged.removeLast(Int.random(in: 0..<damaged.count, using: &generator))
      }
      let source = "random-\(trial).safetensors"
      if case .failure(let error) = readOrThrow(damaged, source: source) {
        XCTAssertTrue((error as? WeightIOError)?.description.contains(source) ?? false, "\(error)")
      }
    }
  }
}
