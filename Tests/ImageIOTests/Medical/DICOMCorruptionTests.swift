import EfficientNetCore
import EfficientNetImageIO
import Foundation
import XCTest

/// Truncated and bit-flipped versions of the DICOM fixtures: each is a `MedicalImageError` naming the
/// file, or (for damage that leaves the structure valid, like a flip inside pixel values) an image of the
/// original size. Never a crash, a hang or an image of another size.
final class DICOMCorruptionTests: XCTestCase {
  private func originals() throws -> [(name: String, bytes: [UInt8], rows: Int, columns: Int)] {
    try MedicalFixtures.decodable().map { fixture in
      (fixture.file, [UInt8](try MedicalFixtures.data(fixture.file)), fixture.rows, fixture.columns)
    }
  }

  func testEveryTruncationThrowsAnErrorNamingTheFile() throws {
    var generator = SeededGenerator(seed: 6)
    for original in try originals() {
      let count = original.bytes.count
      var lengths = [0, 1, 8, 100, 128, 131, 132, 133, 140, 200, count / 2, count - 2, count - 1]
      lengths += (0..<40).map { _ in Int.random(in: 0..<count, using: &generator) }
      let source = "cut-\(original.name)"
      for length in Set(lengths.filter { $0 >= 0 && $0 < count }).sorted() {
        do {
          let image = try DICOMImage(data: Data(original.bytes.prefix(length)), source: source)
          XCTFail("\(original.name) cut to \(length) bytes decoded to \(image.columns)×\(image.rows)")
        } catch let error as MedicalImageError {
          XCTAssertTrue(error.description.hasPrefix("\(source): "), error.description)
          switch error {
          case .notDICOM: XCTAssertLessThan(length, 132, error.description)
          case .truncated, .missingAttribute: break
          default: XCTFail("\(original.name) cut to \(length) bytes: unexpected \(error)")
          }
        }
      }
    }
  }

  func testBitFlipsThrowCleanlyOrKeepTheImageSize() throws {
    var generator = SeededGenerator(seed: 60)
    var slowest = 0.0
    for original in try originals() {
      let source = "flipped-\(original.name)"
      for _ in 0..<150 {
        var bytes = original.bytes
        // Half the flips land in the first 1 KiB, where the structure is.
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
          let limit = Bool.random(using: &generator) ? min(1024, bytes.count) : bytes.count
          let index = Int.random(in: 0..<limit, using: &generator)
          bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        }
        let start = Date()
        do {
          let image = try DICOMImage(data: Data(bytes), source: source)
          let sizeChanged = image.rows != original.rows || image.columns != original.columns
          if sizeChanged {
            // A flip in Rows or Columns themselves is a valid, different image when the data suffices.
            XCTAssertEqual(image.storedValues.count, image.rows * image.columns * image.samplesPerPixel)
          }
        } catch let error as MedicalImageError {
          XCTAssertTrue(error.description.hasPrefix("\(source): "), error.description)
        }
        slowest = max(slowest, Date().timeIntervalSince(start))
      }
    }
    XCTAssertLessThan(slowest, 0.5, "a damaged file took \(slowest) s")
  }
}
