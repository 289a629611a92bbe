import EfficientNetCore
import EfficientNetTraining
import Foundation
import XCTest

/// The loader on the shared real data (skipped when absent): exactly which batches and samples it hands
/// out, their shapes, labels and value range. How fast it does so is a benchmark
/// (`Benchmarks/Sources/DataLoaderThroughput`), not a test.
final class DataLoaderSharedDataTests: XCTestCase {
  /// A loader of `dataset` with training augmentation and RandAugment (m9, n2) at `resolution`, seed 1.
  private func trainingLoader(
    _ dataset: any LabeledDataset, resolution: Int, batchSize: Int, workers: Int = 2
  ) -> DataLoader {
    let augmentation = AugmentationConfiguration.training(
      resolution: resolution, randAugment: RandAugmentConfiguration(layers: 2, magnitude: 9))
    return DataLoader(
      dataset: dataset, batchSize: batchSize, augmentation: augmentation, seed: 1, workers: workers)
  }

  /// The first `limit` batches of epoch 0 (all of them when `limit` is nil).
  private func firstBatches(_ loader: DataLoader, limit: Int? = nil) -> [Batch] {
    var batches: [Batch] = []
    for batch in loader.batches(epoch: 0) {
      batches.append(batch)
      if batch.index + 1 == limit { break }
    }
    return batches
  }

  /// Checks each batch: its place in the sequence, `[size, side, side, channels]` images, the dataset's
  /// labels for its samples, no failures, and every value a normalized 8-bit sample (channel `c` within
  /// `[(0 − mean[c]) / std[c], (1 − mean[c]) / std[c]]`).
  private func checkBatches(
    _ batches: [Batch], of loader: DataLoader, size: Int, side: Int, file: StaticString = #filePath,
    line: UInt = #line
  ) {
    let configuration = loader.augmenter.configuration
    let channels = configuration.outputChannels
    let lower = (0..<channels).map { (0 - configuration.mean[$0]) / configuration.standardDeviation[$0] }
    let upper = (0..<channels).map { (1 - configuration.mean[$0]) / configuration.standardDeviation[$0] }
    for (position, batch) in batches.enumerated() {
      XCTAssertEqual(batch.epoch, 0, file: file, line: line)
      XCTAssertEqual(batch.index, position, file: file, line: line)
      XCTAssertEqual(batch.images.shape, [size, side, side, channels], file: file, line: line)
      XCTAssertEqual(batch.indices.count, size, file: file, line: line)
      XCTAssertEqual(batch.labels, batch.indices.map { loader.dataset.label(at: $0) }, file: file, line: line)
      XCTAssertEqual(batch.failures, [], file: file, line: line)
      let values = batch.images.scalars
      let outside = values.indices.filter { index in
        let channel = index % channels
        return !(values[index] >= lower[channel] - 1e-5 && values[index] <= upper[channel] + 1e-5)
      }
      XCTAssertEqual(
        outside.count, 0, "batch \(batch.index): values outside the range", file: file, line: line)
    }
  }

  func testMNISTAugmentedAt64GivesFullBatchesOfDistinctSamplesInTheEpochOrder() throws {
    let url = try DataFixtures.sharedData("mnist_5k.csv.gz")
    let dataset = try CSVImageDataset(contentsOf: url)
    let loader = trainingLoader(dataset, resolution: 64, batchSize: 64)
    XCTAssertEqual(loader.batchCount, 79)  // 5000 samples: 78 batches of 64 and one of 8
    let batches = firstBatches(loader, limit: 16)
    XCTAssertEqual(batches.count, 16)
    checkBatches(batches, of: loader, size: 64, side: 64)
    let samples = batches.flatMap(\.indices)
    XCTAssertEqual(Set(samples).count, 16 * 64, "no sample twice")
    XCTAssertEqual(samples, Array(loader.order(epoch: 0).prefix(16 * 64)))
    // The two workers hand out exactly what loading on this thread gives.
    let serial = trainingLoader(dataset, resolution: 64, batchSize: 64, workers: 0)
    for index in [0, 15] {
      let expected = serial.batch(epoch: 0, index: index)
      XCTAssertEqual(batches[index].indices, expected.indices, "batch \(index)")
      XCTAssertEqual(batches[index].images, expected.images, "batch \(index)")
    }
  }

  func testChestXraysAt224GiveTwoBatchesHoldingEverySampleOnce() throws {
    let url = try DataFixtures.sharedData("chest-xray-16")
    let loader = trainingLoader(try ImageFolderDataset(root: url), resolution: 224, batchSize: 8)
    XCTAssertEqual(loader.batchCount, 2)
    let batches = firstBatches(loader)
    XCTAssertEqual(batches.count, 2)
    checkBatches(batches, of: loader, size: 8, side: 224)
    XCTAssertEqual(batches.flatMap(\.indices).sorted(), Array(0..<16))
    XCTAssertEqual(batches.flatMap(\.labels).filter { $0 == 0 }.count, 8)
    XCTAssertEqual(batches.flatMap(\.labels).filter { $0 == 1 }.count, 8)
    XCTAssertEqual(loader.failures, [])
  }
}
