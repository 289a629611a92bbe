import EfficientNetImageIO
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// Dataset files that would read gigabytes, ask for 10^8 classes, or train on nothing: each refused
/// early, naming the file (and row), with bounded memory.
final class DatasetHostileTests: XCTestCase {
  // MARK: Gzip bombs and streams

  func testOneLineGzipBombStopsAtTheRowLimit() throws {
    // 1 GB of "0,0,0,…" on one line, about 6 MB compressed.
    let file = temporaryLocation("line-bomb.csv.gz")
    try Data(FixedHuffmanGzip.repeating(Array("0,".utf8), totalByteCount: 1 << 30)).write(to: file)
    let outcome = try assertToolRefuses(
      [
        "train", "--data", file.path, "--output", temporaryLocation("out").path, "--epochs", "1",
        "--resolution", "32", "--model", "b0",
      ],
      naming: [file.lastPathComponent, ":1:", "more than 1048577 values"], peakMemoryMiB: 600, deadline: 45)
    print("\(name): \(outcome.summary.prefix(200))")
  }

  func testGzipOfManyRowsStopsAtThePixelByteLimitOrTheRowCount() throws {
    // 784 zero pixels and label 1 per row, repeated to 64 MB (about 40,000 rows).
    let row = Array((String(repeating: "0,", count: 784) + "1\n").utf8)
    let file = temporaryLocation("rows.csv.gz")
    try Data(FixedHuffmanGzip.repeating(row, totalByteCount: 64 << 20)).write(to: file)
    let small = CSVReadingLimits(maximumPixelByteCount: 1 << 20)
    XCTAssertThrowsError(try CSVImageDataset(contentsOf: file, limits: small)) { error in
      let message = "\(error)"
      XCTAssertTrue(message.hasPrefix(file.path + ":1338: "), message)  // row 1338 would pass 1 MiB
      XCTAssertTrue(message.contains("more than 1048576 bytes of pixels"), message)
    }
    let first = try CSVImageDataset(contentsOf: file, limits: CSVReadingLimits(maximumRowCount: 50))
    XCTAssertEqual(first.count, 50)
    XCTAssertEqual(first.side, 28)
  }

  func testGzipOfValidRowsPastThePixelByteLimitIsRefusedByTheTool() throws {
    // 600 MB of valid 28 × 28 rows (about 380,000), about 6 MB compressed: past the 256 MiB default.
    let row = Array((String(repeating: "0,", count: 784) + "1\n").utf8)
    let file = temporaryLocation("rows-bomb.csv.gz")
    try Data(FixedHuffmanGzip.repeating(row, totalByteCount: 600 << 20)).write(to: file)
    let outcome = try assertToolRefuses(
      [
        "train", "--data", file.path, "--output", temporaryLocation("out").path, "--epochs", "1",
        "--resolution", "32", "--model", "b0",
      ],
      naming: [file.lastPathComponent, "more than 268435456 bytes of pixels"], peakMemoryMiB: 600,
      deadline: 50)
    print("\(name): \(outcome.summary.prefix(200))")
  }

  func testTruncatedGzipIsNamedAsTruncated() throws {
    let whole = FixedHuffmanGzip.repeating(Array("0,0,0,0,1\n".utf8), totalByteCount: 1 << 20)
    let cut = temporaryLocation("cut.csv.gz")
    try Data(whole.prefix(whole.count / 2)).write(to: cut)
    assertDatasetRefused(
      try CSVImageDataset(contentsOf: cut), naming: [cut.path + ": ", "truncated gzip stream"])
    let header = temporaryLocation("header.csv.gz")
    for bytes: [UInt8] in [[0x1F], [0x1F, 0x8B, 0x08]] {
      try Data(bytes).write(to: header)
      assertDatasetRefused(
        try CSVImageDataset(contentsOf: header),
        naming: [header.path + ": truncated gzip stream", "after \(bytes.count) bytes"])
    }
  }

  func testMissingAndSpecialCSVFilesAreNamed() throws {
    let missing = temporaryLocation("absent.csv")
    assertDatasetRefused(try CSVImageDataset(contentsOf: missing), naming: [missing.path + ": no such file"])
    let fifo = temporaryLocation("pipe.csv")
    XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
    let outcome = try assertToolRefuses(
      ["train", "--data", fifo.path, "--output", temporaryLocation("out").path, "--epochs", "1"],
      naming: [fifo.lastPathComponent, "named pipe"], deadline: 20)
    print("\(name): \(outcome.summary.prefix(200))")
  }

  // MARK: Rows and labels

  func testBadValuesNameFileRowColumnValueAndExpectation() throws {
    let label = try csv("label.csv", "0,1,2,3,1\n\n4,5,6,7,abc\n")
    assertDatasetRefused(
      try CSVImageDataset(contentsOf: label),
      naming: [label.path + ":3: ", "row 2, column 5", "label 'abc'", "class index", "0–99999"])
    let pixel = try csv("pixel.csv", "0,1,2,3,1\n4,5x,6,7,0\n")
    assertDatasetRefused(
      try CSVImageDataset(contentsOf: pixel),
      naming: [pixel.path + ":2: ", "row 2, column 2", "pixel value '5x'", "whole number 0–255"])
  }

  func testHugeLabelsAreRefusedBeforeAllocatingClasses() throws {
    let huge = try csv("huge-label.csv", "0,1,2,3,1\n0,1,2,3,100000000\n")
    assertDatasetRefused(
      try CSVImageDataset(contentsOf: huge),
      naming: [huge.path + ":2: ", "100000000", "at most 100000 classes"])
    let sparse = try csv("sparse-label.csv", "0,1,2,3,0\n0,1,2,3,1\n0,1,2,3,5000\n")
    assertDatasetRefused(
      try CSVImageDataset(contentsOf: sparse),
      naming: [sparse.path + ":3: ", "label 5000", "3 distinct labels"])
    let outcome = try assertToolRefuses(
      ["train", "--data", huge.path, "--output", temporaryLocation("out").path, "--epochs", "1"],
      naming: [huge.lastPathComponent, "100000000"], peakMemoryMiB: 600, deadline: 30)
    print("\(name): \(outcome.summary.prefix(200))")
    XCTAssertEqual(LabeledDatasetLimits.maximumClassCount, 100_000)
  }

  // MARK: Image folders

  func testFolderOfEmptyImagesIsRefusedWhenOpened() throws {
    let root = try makeTemporaryFolder("empty-images")
    for (index, name) in ["cat", "dog"].enumerated() {
      let folder = root.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for file in 0..<(7 + index) { try Data().write(to: folder.appendingPathComponent("\(file).jpg")) }
    }
    let first = root.appendingPathComponent("cat/0.jpg").path
    assertDatasetRefused(
      try ImageFolderDataset(root: root),
      naming: [root.path + ": ", "15 of the 15 image files", first, "empty"])
    let outcome = try assertToolRefuses(
      [
        "train", "--data", root.path, "--output", temporaryLocation("out").path, "--epochs", "1",
        "--resolution", "32", "--model", "b0",
      ],
      naming: ["15 of the 15", "0.jpg"], deadline: 30)
    print("\(name): \(outcome.summary.prefix(200))")
  }

  func testTrainingDropsALastBatchOfOne() {
    let images = (0..<9).map { _ in
      Preprocessor.SourceImage(pixels: [UInt8](repeating: 9, count: 16), width: 4, height: 4, channels: 1)
    }
    let dataset = InMemoryDataset(images: images, labels: (0..<9).map { $0 % 2 })
    let augmentation = AugmentationConfiguration.evaluation(resolution: 4, outputChannels: 1)
    let loaders = RunLoaders(
      dataset: dataset, trainingIndices: Array(0..<9), validationIndices: [], validationSet: nil,
      training: augmentation, evaluation: augmentation, batchSize: 4, seed: 1, workers: 0)
    XCTAssertEqual(loaders.training.batchCount, 2)  // 4 + 4, the ninth sample's batch of 1 dropped
    let even = RunLoaders(
      dataset: dataset, trainingIndices: Array(0..<6), validationIndices: [], validationSet: nil,
      training: augmentation, evaluation: augmentation, batchSize: 4, seed: 1, workers: 0)
    XCTAssertEqual(even.training.batchCount, 2)  // 4 + 2 kept
  }

  // MARK: Helpers

  private func csv(_ name: String, _ text: String) throws -> URL {
    let file = temporaryLocation(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file
  }

  private func assertDatasetRefused<T>(
    _ body: @autoclosure () throws -> T, naming fragments: [String], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
      let message = "\(error)"
      XCTAssertTrue(error is DatasetError, "not a DatasetError: \(message)", file: file, line: line)
      for fragment in fragments {
        XCTAssertTrue(
          message.contains(fragment), "\"\(fragment)\" not in: \(message)", file: file, line: line)
      }
    }
  }
}

/// Gzip files of one repeated pattern, compressed with fixed-Huffman back-references (about 20 bits per
/// 258 bytes), built here so that a test holds a bomb in a few megabytes.
enum FixedHuffmanGzip {
  /// `pattern` literally, then copies of it (258-byte matches at its own distance) up to
  /// `totalByteCount` bytes, in a gzip member whose CRC and size fields are zero (the readers under
  /// test stop long before checking them).
  static func repeating(_ pattern: [UInt8], totalByteCount: Int) -> [UInt8] {
    precondition((1...32768).contains(pattern.count) && totalByteCount >= pattern.count)
    var bits = BitWriter()
    bits.write(1, count: 1)  // BFINAL
    bits.write(1, count: 2)  // BTYPE 01: fixed Huffman
    for byte in pattern { writeLiteral(Int(byte), to: &bits) }
    var remaining = totalByteCount - pattern.count
    let (distanceCode, distanceBase, distanceExtra) = distanceSymbol(pattern.count)
    while remaining >= 3 {
      let length = min(258, remaining)
      if length == 258 {
        bits.writeHuffman(0xC0 + (285 - 280), count: 8)
      } else {
        let (code, base, extra) = lengthSymbol(length)
        writeLengthCode(code, to: &bits)
        bits.write(length - base, count: extra)
      }
      bits.writeHuffman(distanceCode, count: 5)
      bits.write(pattern.count - distanceBase, count: distanceExtra)
      remaining -= length
    }
    bits.writeHuffman(0, count: 7)  // end of block
    let header: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF]
    return header + bits.finish() + [UInt8](repeating: 0, count: 8)
  }

  private static func writeLiteral(_ value: Int, to bits: inout BitWriter) {
    if value < 144 {
      bits.writeHuffman(0x30 + value, count: 8)
    } else {
      bits.writeHuffman(0x190 + value - 144, count: 9)
    }
  }

  private static func writeLengthCode(_ code: Int, to bits: inout BitWriter) {
    if code < 280 {
      bits.writeHuffman(code - 256, count: 7)
    } else {
      bits.writeHuffman(0xC0 + code - 280, count: 8)
    }
  }

  /// The length symbol (257…284), its base length and extra-bit count, for lengths 3…257.
  private static func lengthSymbol(_ length: Int) -> (Int, Int, Int) {
    var base = 3
    for code in 257...284 {
      let extra = code < 265 ? 0 : (code - 261) / 4
      if length < base + (1 << extra) { return (code, base, extra) }
      base += 1 << extra
    }
    preconditionFailure("length \(length)")
  }

  /// The distance symbol (0…29), its base distance and extra-bit count.
  private static func distanceSymbol(_ distance: Int) -> (Int, Int, Int) {
    var base = 1
    for code in 0...29 {
      let extra = code < 4 ? 0 : (code - 2) / 2
      if distance < base + (1 << extra) { return (code, base, extra) }
      base += 1 << extra
    }
    preconditionFailure("distance \(distance)")
  }
}

/// Deflate's bit order: values least significant bit first, Huffman codes most significant bit first.
private struct BitWriter {
  private var bytes: [UInt8] = []
  private var buffer: UInt64 = 0
  private var filled = 0

  mutating func write(_ value: Int, count: Int) {
    guard count > 0 else { return }
    buffer |= UInt64(value) << UInt64(filled)
    filled += count
    while filled >= 8 {
      bytes.append(UInt8(truncatingIfNeeded: buffer))
      buffer >>= 8
      filled -= 8
    }
  }

  mutating func writeHuffman(_ code: Int, count: Int) {
    var reversed = 0
    for bit in 0..<count where code & (1 << bit) != 0 { reversed |= 1 << (count - 1 - bit) }
    write(reversed, count: count)
  }

  mutating func finish() -> [UInt8] {
    if filled > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
    return bytes
  }
}
