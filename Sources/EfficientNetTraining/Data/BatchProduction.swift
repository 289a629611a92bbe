import EfficientNetCore
import Foundation

/// A batch being filled by the workers: its tensor, and how many samples are still missing.
final class BatchSlot {
  /// `[B, R, R, C]`, written sample by sample through `base`.
  var images: Tensor
  /// The tensor's storage; stays valid because the tensor is not copied until the slot is handed out.
  let base: UnsafeMutablePointer<Float>
  /// The samples not finished yet.
  var remaining: Int
  /// The failure of each sample (nil for loaded ones), by position in the batch.
  var failures: [SampleFailure?]

  init(sampleCount: Int, resolution: Int, channels: Int) {
    var images = Tensor(zeros: [sampleCount, resolution, resolution, channels])
    // The storage is a heap allocation owned by `images` alone until the slot is complete.
    base = images.withUnsafeMutableBufferPointer { $0.baseAddress! }
    self.images = images
    remaining = sampleCount
    failures = [SampleFailure?](repeating: nil, count: sampleCount)
  }
}

/// The state shared by one epoch's workers and its consumer: which sample is next, the batches in
/// flight, and the window that bounds them. All fields are guarded by `condition`.
final class BatchProduction: @unchecked Sendable {
  private let loader: DataLoader
  private let epoch: Int
  private let order: [Int]
  private let endPosition: Int
  private let condition = NSCondition()

  /// The next position (in the epoch's order) a worker will take.
  private var nextPosition: Int
  /// The batch the consumer takes next; workers stay below `consumerBatch + prefetchCount`.
  private var consumerBatch: Int
  /// The batches in flight or ready, by batch index.
  private var slots: [Int: BatchSlot] = [:]
  private var cancelled = false

  init(loader: DataLoader, epoch: Int, firstBatch: Int) {
    self.loader = loader
    self.epoch = epoch
    self.order = loader.order(epoch: epoch)
    self.endPosition =
      loader.batchCount == 0 ? 0 : loader.positions(ofBatch: loader.batchCount - 1).upperBound
    self.nextPosition = firstBatch * loader.batchSize
    self.consumerBatch = firstBatch
  }

  /// Starts the loader's background threads (none when it has 0 workers).
  func startWorkers() {
    for worker in 0..<loader.workerCount {
      let thread = Thread { [self] in work() }
      thread.name = "DataLoader worker \(worker)"
      thread.start()
    }
  }

  /// Stops the workers after their current sample.
  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }

  /// A worker's loop: take the next sample inside the window, load it into its batch, repeat.
  private func work() {
    let resolution = loader.augmenter.configuration.resolution
    let channels = loader.augmenter.configuration.outputChannels
    let sampleSize = resolution * resolution * channels
    condition.lock()
    while !cancelled && nextPosition < endPosition {
      let batch = nextPosition / loader.batchSize
      guard batch < consumerBatch + loader.prefetchCount else {
        condition.wait()
        continue
      }
      let slot = slot(for: batch)
      let position = nextPosition
      nextPosition += 1
      condition.unlock()

      let offset = position - batch * loader.batchSize
      let output = UnsafeMutableBufferPointer(start: slot.base + offset * sampleSize, count: sampleSize)
      let failure = loader.produceSample(index: order[position], epoch: epoch, into: output)

      condition.lock()
      slot.failures[offset] = failure
      slot.remaining -= 1
      if slot.remaining == 0 { condition.broadcast() }
    }
    condition.unlock()
  }

  /// The slot of `batch`, created on first use. Called with the lock held.
  private func slot(for batch: Int) -> BatchSlot {
    if let slot = slots[batch] { return slot }
    let configuration = loader.augmenter.configuration
    let slot = BatchSlot(
      sampleCount: loader.positions(ofBatch: batch).count, resolution: configuration.resolution,
      channels: configuration.outputChannels)
    slots[batch] = slot
    return slot
  }

  /// Waits for `batch` to be complete and hands it out (with no workers, loads it here).
  func take(batch: Int) -> Batch {
    if loader.workerCount == 0 { return produceSynchronously(batch: batch) }
    condition.lock()
    while slots[batch].map({ $0.remaining > 0 }) ?? true {
      condition.wait()
    }
    let slot = slots.removeValue(forKey: batch)!
    consumerBatch = batch + 1
    condition.broadcast()
    condition.unlock()
    return finish(slot, batch: batch)
  }

  /// Loads `batch` on the calling thread.
  func produceSynchronously(batch: Int) -> Batch {
    let configuration = loader.augmenter.configuration
    let positions = loader.positions(ofBatch: batch)
    let slot = BatchSlot(
      sampleCount: positions.count, resolution: configuration.resolution,
      channels: configuration.outputChannels)
    let sampleSize = configuration.resolution * configuration.resolution * configuration.outputChannels
    for (offset, position) in positions.enumerated() {
      let output = UnsafeMutableBufferPointer(start: slot.base + offset * sampleSize, count: sampleSize)
      slot.failures[offset] = loader.produceSample(index: order[position], epoch: epoch, into: output)
    }
    slot.remaining = 0
    return finish(slot, batch: batch)
  }

  /// Builds the batch from a complete slot, leaving failed samples out, and records the failures.
  private func finish(_ slot: BatchSlot, batch: Int) -> Batch {
    let positions = loader.positions(ofBatch: batch)
    let indices = positions.map { order[$0] }
    let failures = slot.failures.compactMap { $0 }
    loader.record(failures)
    guard !failures.isEmpty else {
      return Batch(
        images: slot.images, labels: indices.map { loader.dataset.label(at: $0) }, indices: indices,
        epoch: epoch,
        index: batch, failures: [])
    }
    let kept = slot.failures.indices.filter { slot.failures[$0] == nil }
    let shape = slot.images.shape
    let sampleSize = shape[1] * shape[2] * shape[3]
    var images = Tensor(zeros: [kept.count, shape[1], shape[2], shape[3]])
    images.withUnsafeMutableBufferPointer { target in
      for (row, offset) in kept.enumerated() {
        (target.baseAddress! + row * sampleSize).update(
          from: slot.base + offset * sampleSize, count: sampleSize)
      }
    }
    let keptIndices = kept.map { indices[$0] }
    return Batch(
      images: images, labels: keptIndices.map { loader.dataset.label(at: $0) }, indices: keptIndices,
      epoch: epoch,
      index: batch, failures: failures)
  }
}
