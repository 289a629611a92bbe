import Foundation
import Synchronization

/// Runs data-parallel kernel work on a fixed number of threads.
///
/// Kernels split their output into independent tasks and call ``parallelFor(_:_:)``. The calling
/// thread takes part; `threadCount - 1` persistent workers join it. Between loops a worker spins for a
/// short while (so back-to-back layers start with no wake-up cost), then parks. With one thread or one
/// task the body runs inline with no synchronization at all. A loop started while another runs on the
/// same pool (nested, or from a second thread) runs inline.
public final class ComputePool: @unchecked Sendable {
  /// The pool every kernel uses unless it is given another.
  public static let shared = ComputePool(threadCount: ComputePool.defaultThreadCount)

  /// The number of threads a parallel loop may use (at least 1), the caller included.
  public var threadCount: Int {
    get { state.requestedThreads.load(ordering: .relaxed) }
    set { state.requestedThreads.store(max(1, newValue), ordering: .relaxed) }
  }

  /// The thread count from `EFFICIENTNET_THREADS`, or the number of active processors.
  public static var defaultThreadCount: Int {
    if let text = ProcessInfo.processInfo.environment["EFFICIENTNET_THREADS"], let value = Int(text),
      value > 0
    {
      return value
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }

  private let state: PoolState

  /// Creates a pool that runs parallel loops on `threadCount` threads (the caller's included).
  public init(threadCount: Int) {
    state = PoolState(threadCount: max(1, threadCount))
  }

  deinit {
    state.shutDown()
  }

  /// Calls `body(task)` for every task in `0..<taskCount`, spread over the pool's threads.
  ///
  /// Tasks must write disjoint memory. Returns when every task has finished.
  public func parallelFor(_ taskCount: Int, _ body: (Int) -> Void) {
    if taskCount <= 0 { return }
    let threads = threadCount
    if taskCount == 1 || threads == 1 || taskCount > PoolState.taskMask
      || !state.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    {
      for task in 0..<taskCount { body(task) }
      return
    }
    defer { state.busy.store(false, ordering: .releasing) }
    state.ensureWorkers(threads - 1)
    withoutActuallyEscaping(body) { body in
      state.run(taskCount: taskCount, workers: min(threads, taskCount) - 1, body: body)
    }
  }

  /// Splits `0..<count` into at most `threadCount` contiguous ranges of at least `grain` elements
  /// (the last may be shorter) and runs `body` on each in parallel.
  public func parallelRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    if count <= 0 { return }
    let chunks = max(1, min(threadCount, count / max(1, grain)))
    if chunks == 1 {
      body(0..<count)
      return
    }
    let size = (count + chunks - 1) / chunks
    parallelFor(chunks) { chunk in
      let start = chunk * size
      let end = min(count, start + size)
      if start < end { body(start..<end) }
    }
  }
}

/// The state the caller and the workers share; workers hold it, so it outlives the pool object
/// until they have shut down.
private final class PoolState: @unchecked Sendable {
  static let taskBits = 20
  static let taskMask = (1 << 20) - 1
  static let spinLimit = 100_000

  let requestedThreads: Atomic<Int>
  /// The current job: generation (bits 40…62), task count (bits 20…39), next task (bits 0…19).
  let job = Atomic<Int>(0)
  /// Tasks of the current job not yet finished.
  let unfinished = Atomic<Int>(0)
  /// How many workers may join the current job.
  let allowedWorkers = Atomic<Int>(0)
  /// Set while a loop runs; a second loop meanwhile runs inline.
  let busy = Atomic<Bool>(false)
  let sleepers = Atomic<Int>(0)
  let stopping = Atomic<Bool>(false)
  let parking = NSCondition()
  var body: ((Int) -> Void)?
  var workerCount = 0
  let workersLock = NSLock()

  init(threadCount: Int) {
    requestedThreads = Atomic(threadCount)
  }

  /// Posts a job, works on it from the calling thread and waits for every task.
  func run(taskCount: Int, workers: Int, body: @escaping (Int) -> Void) {
    self.body = body
    unfinished.store(taskCount, ordering: .relaxed)
    allowedWorkers.store(workers, ordering: .relaxed)
    let generation = ((job.load(ordering: .relaxed) >> 40) + 1) & ((1 << 23) - 1)
    // Sequentially consistent store and load pair with the parking worker's (Dekker): either the
    // caller sees a sleeper and wakes it, or the worker sees the new generation.
    job.store((generation << 40) | (taskCount << PoolState.taskBits), ordering: .sequentiallyConsistent)
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      parking.lock()
      parking.broadcast()
      parking.unlock()
    }
    runTasks(generation: generation)
    while unfinished.load(ordering: .acquiring) > 0 {}
    self.body = nil
  }

  /// Claims and runs tasks of job `generation` until none is left.
  func runTasks(generation: Int) {
    while true {
      let current = job.load(ordering: .acquiring)
      guard current >> 40 == generation else { return }
      let count = (current >> PoolState.taskBits) & PoolState.taskMask
      guard current & PoolState.taskMask < count else { return }
      guard
        job.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
          .exchanged
      else { continue }
      // The job cannot move on while this task is unfinished, so `body` is this generation's.
      body!(current & PoolState.taskMask)
      unfinished.subtract(1, ordering: .releasing)
    }
  }

  func ensureWorkers(_ count: Int) {
    workersLock.lock()
    defer { workersLock.unlock() }
    while workerCount < count {
      let index = workerCount
      let thread = Thread { [self] in workerLoop(index: index) }
      thread.name = "efficientnet-worker-\(index)"
      workerCount += 1
      thread.start()
    }
  }

  func shutDown() {
    stopping.store(true, ordering: .sequentiallyConsistent)
    parking.lock()
    parking.broadcast()
    parking.unlock()
  }

  private func workerLoop(index: Int) {
    var seen = job.load(ordering: .acquiring) >> 40
    while !stopping.load(ordering: .relaxed) {
      // Spin briefly for the next job, then park until one is posted.
      var spins = 0
      var generation = job.load(ordering: .acquiring) >> 40
      while generation == seen && spins < PoolState.spinLimit {
        spins += 1
        generation = job.load(ordering: .acquiring) >> 40
      }
      if generation == seen {
        parking.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while job.load(ordering: .sequentiallyConsistent) >> 40 == seen
          && !stopping.load(ordering: .sequentiallyConsistent)
        {
          parking.wait()
        }
        sleepers.subtract(1, ordering: .relaxed)
        parking.unlock()
        generation = job.load(ordering: .acquiring) >> 40
      }
      seen = generation
      if index < allowedWorkers.load(ordering: .relaxed) {
        runTasks(generation: generation)
      }
    }
  }
}
