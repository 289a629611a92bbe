import EfficientNetImageIO
import EfficientNetModels
import EfficientNetSearch
import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A tiny search end to end: two candidates trained for one short epoch on a few hundred images,
/// results written as each finishes, an interruption in the middle resumed to the same result an
/// uninterrupted search gives, and the plot well-formed.
final class SearchEndToEndTests: XCTestCase {
  /// 2 classes of 12×12 gray images: a bright bar in the top or the bottom half, with noise.
  static func bars(count: Int) -> InMemoryDataset {
    var state: UInt64 = 12345
    func next() -> UInt8 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 59)
    }
    var images: [Preprocessor.SourceImage] = []
    var labels: [Int] = []
    for index in 0..<count {
      let label = index % 2
      var pixels = [UInt8](repeating: 0, count: 144)
      for row in 0..<12 {
        for column in 0..<12 {
          let bright = label == 0 ? (2...4).contains(row) : (7...9).contains(row)
          pixels[row * 12 + column] = (bright ? 200 : 20) &+ next() * 2
        }
      }
      images.append(Preprocessor.SourceImage(pixels: pixels, width: 12, height: 12, channels: 1))
      labels.append(label)
    }
    return InMemoryDataset(images: images, labels: labels)
  }

  func makeSearch(_ directory: URL) throws -> (ScalingSearch, SearchTrainingSetup) {
    var base = Configuration(
      name: "tiny", blocks: try BlockArguments.parseTable("ds_r1_k3_s1_e1_c8,ir_r1_k3_s2_e2_c16_se0.25"),
      widthMultiplier: 1, resolution: 16, classCount: 2, stemChannels: 8, headChannels: 32)
    base.dropoutRate = 0
    base.dropConnectRate = 0
    let candidates = [
      ScalingCandidate(alpha: 1.2, beta: 1.1, gamma: 1.15),
      ScalingCandidate(alpha: 1, beta: 1, gamma: 2.0.squareRoot(), kind: .resolutionOnly),
    ]
    let dataset = Self.bars(count: 240)
    var settings = TrainingSettings()
    settings.epochs = 1
    settings.batchSize = 16
    settings.optimizer = .adamw
    settings.learningRate = 0.01
    settings.workers = 1
    let setup = SearchTrainingSetup(
      dataset: dataset, trainingIndices: Array(0..<192), validationIndices: Array(192..<240),
      settings: settings,
      augment: false)
    let search = try ScalingSearch(
      baseline: base, candidates: candidates, directory: directory, settings: ["epochs": "1"])
    return (search, setup)
  }

  func testTinySearchRecordsEveryCandidateAndResumesAnInterruptionExactly() throws {
    let root = temporaryLocation("search-e2e")

    // Uninterrupted.
    let (straight, setup) = try makeSearch(root.appendingPathComponent("straight"))
    XCTAssertTrue(try straight.run(setup: setup))
    let expected = try straight.results.records()
    XCTAssertEqual(expected.map(\.label), straight.candidates.map(\.label))
    for record in expected {
      XCTAssertGreaterThan(record.validationTop1, 0.5, "\(record.label) learned something")
      XCTAssertGreaterThan(record.macsRatio, 1.3)
      XCTAssertGreaterThan(record.trainingSeconds, 0)
    }
    XCTAssertEqual(expected[1].resolution, 23)  // round(16 · √2)

    // Interrupted in the second candidate's fifth step, then run again.
    let (first, _) = try makeSearch(root.appendingPathComponent("resumed"))
    Interruption.install()
    defer { Interruption.uninstall() }
    var steps = 0
    var index = -1
    let completed = try first.run(
      setup: setup, starting: { candidateIndex, _, _ in index = candidateIndex },
      progress: { _ in
        steps += 1
        if index == 1 && steps == 17 { Interruption.request() }
      })
    XCTAssertFalse(completed)
    XCTAssertEqual(try first.results.records().map(\.label), [expected[0].label])
    Interruption.install()  // clears the request
    let (second, _) = try makeSearch(root.appendingPathComponent("resumed"))
    var started: [(Int, Bool)] = []
    XCTAssertTrue(
      try second.run(setup: setup, starting: { index, _, resuming in started.append((index, resuming)) }))
    XCTAssertEqual(started.map(\.0), [1], "the finished candidate is skipped")
    XCTAssertEqual(started.map(\.1), [true], "the interrupted one resumes from its checkpoint")
    let resumed = try second.results.records()
    XCTAssertEqual(resumed.map(\.label), expected.map(\.label))
    for (left, right) in zip(resumed, expected) {
      XCTAssertEqual(left.validationTop1, right.validationTop1, left.label)
      XCTAssertEqual(left.validationLoss, right.validationLoss, accuracy: 1e-9, left.label)
      XCTAssertEqual(left.macs, right.macs)
    }

    // The plot: well-formed, one marker per record, the chosen compound candidate ringed.
    let chosen = ScalingSearch.chosen(resumed)
    XCTAssertEqual(chosen?.kind, "compound")
    let svg = SearchPlot.svg(records: resumed, chosen: chosen?.label, title: "tiny <search>")
    let parser = XMLParser(data: Data(svg.utf8))
    XCTAssertTrue(parser.parse(), "SVG parses as XML")
    XCTAssertTrue(svg.contains("chosen \(chosen!.label)"))
    XCTAssertTrue(svg.contains("tiny &lt;search&gt;"))
  }
}
