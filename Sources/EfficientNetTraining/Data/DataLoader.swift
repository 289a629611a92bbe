import EfficientNetCore
import EfficientNetImageIO
import Foundation

/// One batch of model inputs.
public struct Batch: Sendable {
  /// The inputs, `[B, R, R, C]` (NHWC); `B` is the batch size, less in a last partial batch or when
  /// samples failed to load.
  public var images: Tensor
  /// The class index of each image.
  public var labels: [Int]
  /// The dataset index of each image.
  public var indices: [Int]
  /// The epoch the batch belongs to.
  public var epoch: Int
  /// The batch's position in the epoch (0-based), counting batches whose samples all failed.
  public var index: Int
  /// The samples of this batch that could not be loaded (left out of `images`).
  public var failures: [SampleFailure]
}

/// A sample that could not be read or decoded, and why.
public struct SampleFailure: Error, Equatable, Sendable, CustomStringConvertible {
  /// The sample's dataset index.
  public var index: Int
  /// The epoch in which it failed.
  public var epoch: Int
  /// The sample's file (or file and line).
  public var source: String
  /// The error's message.
  public var message: String

  /// "epoch E, sample I: message".
  public var description: String { "epoch \(epoch), sample \(index): \(message)" }
}

/// Where a run stands in its data: the next batch to train on. Saved with checkpoints so a resumed run
/// continues with exactly the batches an uninterrupted run would have seen.
public struct DataLoaderPosition: Codable, Equatable, Sendable {
  /// The epoch (0-based).
  public var epoch: Int
  /// The next batch within the epoch (0-based).
  public var batch: Int

  /// Creates a position.
  public init(epoch: Int, batch: Int) {
    self.epoch = epoch
    self.batch = batch
  }
}

/// Loads, decodes and augments batches on background threads while the model trains.
///
/// Everything random is derived from the seed: epoch `e`'s order is a permutation seeded by
/// `(seed, e)`, and sample `i`'s augmentation in epoch `e` uses a generator seeded by `(seed, e, i)`.
/// So the batches depend only on the seed, the epoch and the batch index — not on the number of
/// workers or thread timing — and `batches(epoch: e, startingAt: k)` gives exactly the batches an
/// uninterrupted epoch gives from batch `k` on (exact resume from a ``DataLoaderPosition``).
///
/// Workers take samples in batch order and write each straight into its slot of a batch tensor; at most
/// `prefetch` batches beyond the one being consumed are in flight, so memory stays bounded. The
/// consuming thread waits only when the next batch is not finished. A sample that cannot be loaded is
/// left out of its batch and recorded (``Batch/failures`` and ``failures``); the run goes on.
public final class DataLoader: @unchecked Sendable {
  /// The samples' source.
  public let dataset: any LabeledDataset
  /// The dataset indices this loader draws from (for example a split's training part).
  public let indices: [Int]
  /// The samples per batch.
  public let batchSize: Int
  /// Whether each epoch visits the samples in a fresh seeded order.
  public let shuffle: Bool
  /// Whether a last, smaller batch is dropped.
  public let dropLast: Bool
  /// The per-sample transform.
  public let augmenter: SampleAugmenter
  /// The seed every random choice derives from.
  public let seed: UInt64
  /// The number of background threads; 0 loads on the consuming thread.
  public let workerCount: Int
  /// The number of batches prepared ahead of the one being consumed.
  public let prefetchCount: Int

  private let failureLock = NSLock()
  private var recordedFailures: [SampleFailure] = []

  /// Creates a loader.
  ///
  /// - Parameters:
  ///   - dataset: The samples' source, read from several threads at once.
  ///   - indices: The dataset indices to use; all of them when nil. Each must be in `0 ..< dataset.count`.
  ///   - batchSize: At least 1.
  ///   - shuffle: Whether to visit the samples in a seeded random order each epoch (else in `indices`
  ///     order).
  ///   - dropLast: Whether to drop a last batch smaller than `batchSize`.
  ///   - augmentation: The per-sample transform (training augmentation or evaluation).
  ///   - seed: The seed of the orders and augmentations.
  ///   - workers: Background threads, 0 or more (0 loads on the consuming thread).
  ///   - prefetch: Batches prepared ahead, at least 1.
  public init(
    dataset: any LabeledDataset, indices: [Int]? = nil, batchSize: Int, shuffle: Bool = true,
    dropLast: Bool = false, augmentation: AugmentationConfiguration, seed: UInt64, workers: Int = 2,
    prefetch: Int = 2
  ) {
    precondition(batchSize >= 1, "batchSize must be at least 1, got \(batchSize)")
    precondition(workers >= 0, "workers must not be negative, got \(workers)")
    precondition(prefetch >= 1, "prefetch must be at least 1, got \(prefetch)")
    let indices = indices ?? Array(0..<dataset.count)
    precondition(indices.allSatisfy { (0..<dataset.count).contains($0) }, "an index is outside the dataset")
    self.dataset = dataset
    self.indices = indices
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.augmenter = SampleAugmenter(configuration: augmentation)
    self.seed = seed
    self.workerCount = workers
    self.prefetchCount = prefetch
  }

  /// The number of batches in an epoch.
  public var batchCount: Int {
    dropLast ? indices.count / batchSize : (indices.count + batchSize - 1) / batchSize
  }

  /// The dataset indices in the order epoch `epoch` visits them.
  public func order(epoch: Int) -> [Int] {
    guard shuffle else { return indices }
    var order = indices
    var random = AugmentationRandom(
      seed: AugmentationRandom.derivedSeed(seed, stream: RandomStream.epochOrder, epoch: epoch))
    random.shuffle(&order)
    return order
  }

  /// Every sample failure recorded so far, in the order batches were handed out.
  public var failures: [SampleFailure] {
    failureLock.lock()
    defer { failureLock.unlock() }
    return recordedFailures
  }

  /// The batches of one epoch, loaded in the background while they are consumed.
  ///
  /// Iterating starts the workers; abandoning the iterator stops them.
  ///
  /// - Parameters:
  ///   - epoch: The epoch (0-based), which picks the order and the augmentations.
  ///   - startingAt: The first batch to produce (to resume), in `0 ... batchCount`.
  public func batches(epoch: Int, startingAt firstBatch: Int = 0) -> DataLoaderBatches {
    precondition((0...batchCount).contains(firstBatch), "batch \(firstBatch) outside 0...\(batchCount)")
    return DataLoaderBatches(loader: self, epoch: epoch, firstBatch: firstBatch)
  }

  /// Loads one batch on the calling thread (no workers): the same batch ``batches(epoch:startingAt:)``
  /// gives at that position.
  public func batch(epoch: Int, index: Int) -> Batch {
    precondition((0..<batchCount).contains(index), "batch \(index) outside 0..<\(batchCount)")
    let production = BatchProduction(loader: self, epoch: epoch, firstBatch: index)
    return production.produceSynchronously(batch: index)
  }

  /// Records failures handed out with a batch.
  func record(_ failures: [SampleFailure]) {
    guard !failures.isEmpty else { return }
    failureLock.lock()
    recordedFailures += failures
    failureLock.unlock()
  }

  /// The positions (in the epoch's order) of batch `batch`.
  func positions(ofBatch batch: Int) -> Range<Int> {
    (batch * batchSize)..<min((batch + 1) * batchSize, indices.count)
  }

  /// Loads and transforms the sample at dataset index `index` into `output`; nil on success.
  func produceSample(index: Int, epoch: Int, into output: UnsafeMutableBufferPointer<Float>) -> SampleFailure?
  {
    var random = AugmentationRandom(
      seed: AugmentationRandom.derivedSeed(
        seed, stream: RandomStream.sampleAugmentation, epoch: epoch, index: index))
    do {
      let image = try dataset.image(at: index)
      augmenter.transform(image, random: &random, into: output)
      return nil
    } catch {
      return SampleFailure(index: index, epoch: epoch, source: dataset.source(at: index), message: "\(error)")
    }
  }
}

/// The batches of one epoch (see ``DataLoader/batches(epoch:startingAt:)``).
public struct DataLoaderBatches: Sequence {
  let loader: DataLoader
  let epoch: Int
  let firstBatch: Int

  /// Starts the background workers and returns an iterator over the batches.
  public func makeIterator() -> DataLoaderIterator {
    DataLoaderIterator(loader: loader, epoch: epoch, firstBatch: firstBatch)
  }

  /// The number of batches this sequence produces.
  public var underestimatedCount: Int { loader.batchCount - firstBatch }
}

/// Hands out an epoch's batches in order, waiting for the workers when the next one is not ready.
public final class DataLoaderIterator: IteratorProtocol {
  private let production: BatchProduction
  private var nextBatch: Int
  private let batchCount: Int

  init(loader: DataLoader, epoch: Int, firstBatch: Int) {
    production = BatchProduction(loader: loader, epoch: epoch, firstBatch: firstBatch)
    nextBatch = firstBatch
    batchCount = loader.batchCount
    production.startWorkers()
  }

  deinit { production.cancel() }

  /// The next batch, or nil after the last.
  public func next() -> Batch? {
    guard nextBatch < batchCount else { return nil }
    defer { nextBatch += 1 }
    return production.take(batch: nextBatch)
  }
}
