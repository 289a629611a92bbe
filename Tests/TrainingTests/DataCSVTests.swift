import EfficientNetImageIO
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

final class DataCSVTests: XCTestCase {
  func testGzipCSVRowsBecomeSquareGrayImagesWithLabels() throws {
    let dataset = try CSVImageDataset(contentsOf: DataFixtures.url("tiny.csv.gz"))
    XCTAssertEqual(dataset.count, 3)
    XCTAssertEqual(dataset.side, 2)
    XCTAssertEqual(dataset.pixelMaximum, 255)
    XCTAssertEqual(dataset.labels, [0, 2, 1])
    XCTAssertEqual(dataset.classNames, ["0", "1", "2"])
    let first = try dataset.image(at: 0)
    XCTAssertEqual([first.width, first.height, first.channels], [2, 2, 1])
    XCTAssertEqual(first.pixels, [0, 64, 128, 255])
    XCTAssertEqual(try dataset.image(at: 2).pixels, [10, 20, 30, 40])
    XCTAssertTrue(dataset.source(at: 1).hasSuffix("tiny.csv.gz:2"))
  }

  func testPlainCSVWithCarriageReturnsBlankLinesDecimalsAndNoFinalNewline() throws {
    let dataset = try CSVImageDataset(contentsOf: DataFixtures.url("tiny.csv"))
    XCTAssertEqual(dataset.labels, [0, 2, 1])
    XCTAssertEqual(dataset.lineNumbers, [1, 3, 4])
    XCTAssertEqual(dataset.pixels, [0, 64, 128, 255, 255, 255, 0, 0, 10, 20, 30, 40])
  }

  func testSmallPixelMaximumIsScaledToTheFullByteRange() throws {
    let dataset = try CSVImageDataset(contentsOf: DataFixtures.url("tiny.csv.gz"), pixelMaximum: 255)
    XCTAssertEqual(dataset.pixels[3], 255)
    let directory = try makeTemporaryFolder("data-csv")
    let file = directory.appendingPathComponent("digits.csv")
    try "0,1,8,16,3\n16,15,2,0,4\n".write(to: file, atomically: true, encoding: .utf8)
    let digits = try CSVImageDataset(contentsOf: file)
    XCTAssertEqual(digits.pixelMaximum, 16)  // inferred: no value above 16
    // round(v · 255 / 16): 0, 15.9, 127.5, 255 → 0, 16, 128, 255.
    XCTAssertEqual(Array(digits.pixels[0..<4]), [0, 16, 128, 255])
    XCTAssertEqual(Array(digits.pixels[4..<8]), [255, 239, 32, 0])
  }

  func testWrongValueCountNamesFileAndLine() {
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("wrong_count.csv.gz")),
      contains: ["wrong_count.csv.gz:3:", "4 values, expected 5"])
  }

  func testNonNumberNamesFileLineAndColumn() {
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("not_a_number.csv")),
      contains: ["not_a_number.csv:2:", "'x'", "column 2"])
  }

  func testValueAboveTheMaximumNamesFileAndLine() {
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("out_of_range.csv")),
      contains: ["out_of_range.csv:3:", "300", "column 3"])
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("tiny.csv.gz"), pixelMaximum: 16),
      contains: ["tiny.csv.gz:1:", "64", "exceeds the maximum 16"])
  }

  func testNonSquarePixelCountIsRejected() {
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("not_square.csv")),
      contains: ["not_square.csv:1:", "3 pixel values", "square"])
  }

  func testTruncatedGzipNamesFileAndLastCompleteLine() {
    XCTAssertThrowsError(try CSVImageDataset(contentsOf: DataFixtures.url("truncated.csv.gz"))) { error in
      guard case .corruptCompressedData(let path, let line, _)? = error as? DatasetError else {
        return XCTFail("expected corrupt compressed data, got \(error)")
      }
      XCTAssertTrue(path.hasSuffix("truncated.csv.gz"))
      XCTAssertGreaterThan(line, 0)
      XCTAssertLessThan(line, 12_000)
      XCTAssertTrue("\(error)".contains("after line \(line)"))
    }
  }

  func testBadGzipChecksumIsAnError() {
    XCTAssertThrowsError(try CSVImageDataset(contentsOf: DataFixtures.url("bad_checksum.csv.gz"))) { error in
      guard case .corruptCompressedData(let path, let line, let detail)? = error as? DatasetError else {
        return XCTFail("expected corrupt compressed data, got \(error)")
      }
      XCTAssertTrue(path.hasSuffix("bad_checksum.csv.gz"))
      XCTAssertEqual(detail, "incorrect data check")
      // The checksum follows all 12,000 rows; zlib withholds the last read's bytes.
      XCTAssertTrue((10_000...12_000).contains(line), "line \(line)")
    }
  }

  func testMissingFileAndFolderAreNamed() {
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("absent.csv.gz")),
      contains: ["absent.csv.gz", "no such file"])
    assertDatasetError(
      try CSVImageDataset(contentsOf: DataFixtures.url("folder")), contains: ["folder", "not a CSV file"])
  }

  func testSharedMNISTSubsetHas500ImagesPerClassAndKnownPixelSums() throws {
    let url = try DataFixtures.sharedData("mnist_5k.csv.gz")
    let dataset = try CSVImageDataset(contentsOf: url)
    XCTAssertEqual(dataset.count, 5000)
    XCTAssertEqual(dataset.side, 28)
    XCTAssertEqual(dataset.classCounts(), [Int](repeating: 500, count: 10))
    // Sums computed with Python's gzip + csv when the fixture was written.
    XCTAssertEqual(try dataset.image(at: 0).pixels.reduce(0) { $0 + Int($1) }, 31095)
    XCTAssertEqual(dataset.label(at: 0), 0)
    XCTAssertEqual(try dataset.image(at: 4999).pixels.reduce(0) { $0 + Int($1) }, 33540)
    XCTAssertEqual(dataset.label(at: 4999), 9)
    XCTAssertEqual(dataset.pixels.reduce(0) { $0 + Int($1) }, 131_267_102)
  }

  func testSharedDigitsAreScaledFromSixteen() throws {
    let url = try DataFixtures.sharedData("digits.csv.gz")
    let dataset = try CSVImageDataset(contentsOf: url)
    XCTAssertEqual(dataset.count, 1797)
    XCTAssertEqual(dataset.side, 8)
    XCTAssertEqual(dataset.pixelMaximum, 16)
    XCTAssertEqual(dataset.classCounts(), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    // Row 0 starts 0,0,5,13,9,1,0,0 / 0,0,13,15,10,15,5,0: (v · 255 + 8) / 16.
    XCTAssertEqual(
      Array(try dataset.image(at: 0).pixels.prefix(16)),
      [0, 0, 80, 207, 143, 16, 0, 0, 0, 0, 207, 239, 159, 239, 80, 0])
  }
}
