import EfficientNetTraining
import Foundation
import XCTest

/// Loader throughput on the shared real data (skipped when absent). Prints images per second.
final class DataThroughputTests: XCTestCase {
  private func measureThroughput(_ loader: DataLoader, batches: Int) -> Double {
    let start = Date()
    var images = 0
    for batch in loader.batches(epoch: 0) {
      images += batch.images.shape[0]
      if batch.index + 1 == batches { break }
    }
    return Double(images) / Date().timeIntervalSince(start)
  }

  func testMNISTAugmentedAt64KeepsUpWithTraining() throws {
    guard let url = DataFixtures.sharedData("mnist_5k.csv.gz") else {
      throw XCTSkip("mnist_5k.csv.gz not present")
    }
    let dataset = try CSVImageDataset(contentsOf: url)
    let augmentation = AugmentationConfiguration.training(
      resolution: 64, randAugment: RandAugmentConfiguration(layers: 2, magnitude: 9))
    let loader = DataLoader(dataset: dataset, batchSize: 64, augmentation: augmentation, seed: 1, workers: 2)
    let rate = measureThroughput(loader, batches: 16)
    print("MNIST 64×64 RandAugment, 2 workers: \(Int(rate)) images/s")
    XCTAssertGreaterThan(rate, 200)
  }

  func testChestXraysAt224() throws {
    guard let url = DataFixtures.sharedData("chest-xray-16") else {
      throw XCTSkip("chest-xray-16 not present")
    }
    let dataset = try ImageFolderDataset(root: url)
    let augmentation = AugmentationConfiguration.training(
      resolution: 224, randAugment: RandAugmentConfiguration(layers: 2, magnitude: 9))
    let loader = DataLoader(dataset: dataset, batchSize: 8, augmentation: augmentation, seed: 1, workers: 2)
    let rate = measureThroughput(loader, batches: 2)
    print("chest X-rays 224×224 RandAugment, 2 workers: \(String(format: "%.1f", rate)) images/s")
    XCTAssertGreaterThan(rate, 5)
  }
}
