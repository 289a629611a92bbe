import EfficientNetCore
import EfficientNetTraining
import XCTest

final class DataLoaderTests: XCTestCase {
  private let dataset = DataFixtures.syntheticDataset(count: 45)

  private func augmentation() throws -> AugmentationConfiguration {
    .training(
      resolution: 12, randAugment: try RandAugmentConfiguration(timmSpecification: "rand-m9-n2-mstd0.5"),
      interpolation: .bilinear)
  }

  private func loader(workers: Int, seed: UInt64 = 17, prefetch: Int = 2) throws -> DataLoader {
    DataLoader(
      dataset: dataset, indices: Array(2..<45), batchSize: 8, augmentation: try augmentation(), seed: seed,
      workers: workers, prefetch: prefetch)
  }

  func testBatchesAreBitIdenticalWhateverTheWorkerCount() throws {
    let reference = try loader(workers: 1)
    for (workers, prefetch) in [(3, 2), (0, 1), (2, 1)] {
      let other = try loader(workers: workers, prefetch: prefetch)
      for epoch in 0..<2 {
        let expected = Array(reference.batches(epoch: epoch))
        let actual = Array(other.batches(epoch: epoch))
        XCTAssertEqual(expected.count, 6)  // 43 samples: 5 full batches and one of 3
        XCTAssertEqual(actual.count, expected.count)
        for (left, right) in zip(expected, actual) {
          XCTAssertEqual(left.images, right.images, "epoch \(epoch) batch \(left.index), \(workers) workers")
          XCTAssertEqual(left.labels, right.labels)
          XCTAssertEqual(left.indices, right.indices)
          XCTAssertEqual(left.index, right.index)
        }
      }
    }
  }

  func testEachEpochVisitsEverySampleOnceInItsOwnOrderWithFreshAugmentation() throws {
    let loader = try loader(workers: 2)
    let first = Array(loader.batches(epoch: 0)), second = Array(loader.batches(epoch: 1))
    XCTAssertEqual(first.flatMap(\.indices).sorted(), Array(2..<45))
    XCTAssertEqual(second.flatMap(\.indices).sorted(), Array(2..<45))
    XCTAssertNotEqual(first.flatMap(\.indices), second.flatMap(\.indices))
    XCTAssertEqual(first.map { $0.images.shape }.last, [3, 12, 12, 3])
    for batch in first { XCTAssertEqual(batch.labels, batch.indices.map { $0 % 3 }) }
    // The same sample is augmented differently in another epoch.
    let sample = first[0].indices[0]
    guard let position = second.flatMap(\.indices).firstIndex(of: sample) else {
      return XCTFail("sample lost")
    }
    let size = 12 * 12 * 3
    let secondBatch = second[position / 8]
    let offset = position % 8
    XCTAssertNotEqual(
      Array(first[0].images.scalars[0..<size]),
      Array(secondBatch.images.scalars[(offset * size)..<((offset + 1) * size)]))
  }

  func testDifferentSeedsGiveDifferentBatches() throws {
    let left = Array(try loader(workers: 2, seed: 1).batches(epoch: 0))
    let right = Array(try loader(workers: 2, seed: 2).batches(epoch: 0))
    XCTAssertNotEqual(left.flatMap(\.indices), right.flatMap(\.indices))
  }

  func testResumingAtABatchGivesExactlyTheRemainingBatches() throws {
    let loader = try loader(workers: 2)
    let full = Array(loader.batches(epoch: 1))
    for start in [0, 3, 5, 6] {
      let resumed = Array(try self.loader(workers: 3).batches(epoch: 1, startingAt: start))
      XCTAssertEqual(resumed.count, full.count - start)
      for (left, right) in zip(full[start...], resumed) {
        XCTAssertEqual(left.index, right.index)
        XCTAssertEqual(left.indices, right.indices)
        XCTAssertEqual(left.images, right.images)
      }
    }
    let single = loader.batch(epoch: 1, index: 4)
    XCTAssertEqual(single.images, full[4].images)
    XCTAssertEqual(single.indices, full[4].indices)
  }

  func testUnshuffledLoaderKeepsIndexOrderAndDropLastDropsThePartialBatch() throws {
    let loader = DataLoader(
      dataset: dataset, batchSize: 10, shuffle: false, dropLast: true,
      augmentation: .evaluation(resolution: 8), seed: 0, workers: 2)
    XCTAssertEqual(loader.batchCount, 4)
    let batches = Array(loader.batches(epoch: 3))
    XCTAssertEqual(batches.flatMap(\.indices), Array(0..<40))
    XCTAssertEqual(batches.map(\.index), [0, 1, 2, 3])
  }

  func testAbandoningAnEpochStopsItsWorkersAndTheLoaderGoesOn() throws {
    let loader = try loader(workers: 2, prefetch: 3)
    var iterator = loader.batches(epoch: 0).makeIterator()
    let first = iterator.next()
    XCTAssertEqual(first?.index, 0)
    iterator = loader.batches(epoch: 0, startingAt: 5).makeIterator()
    XCTAssertEqual(iterator.next()?.index, 5)
    XCTAssertNil(iterator.next())
    XCTAssertEqual(Array(loader.batches(epoch: 0)).first?.images, first?.images)
  }

  func testUndecodableSampleIsSkippedAndRecorded() throws {
    let broken = try ImageFolderDataset(root: DataFixtures.url("folder_with_broken_file"))
    let loader = DataLoader(
      dataset: broken, batchSize: 2, shuffle: false,
      augmentation: .evaluation(resolution: 8, outputChannels: 1),
      seed: 0, workers: 2)
    let batches = Array(loader.batches(epoch: 0))
    XCTAssertEqual(batches.count, 1)
    XCTAssertEqual(batches[0].images.shape, [1, 8, 8, 1])
    XCTAssertEqual(batches[0].indices, [1])
    XCTAssertEqual(batches[0].failures.map(\.index), [0])
    XCTAssertEqual(loader.failures.count, 1)
    XCTAssertTrue(loader.failures[0].message.contains("broken.png"), loader.failures[0].message)
    XCTAssertTrue(loader.failures[0].source.hasSuffix("folder_with_broken_file/a/broken.png"))
  }
}
