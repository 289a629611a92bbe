import Foundation
import Synchronization

/// Dynamic batching: concurrent requests for one model are gathered into one batch — as many as
/// arrive within `maximumDelay` of the first, up to `maximumBatch` items (a request counts as its
/// `size`, one by default; a request larger than the limit runs alone) — run together on the scheduler's
/// own thread (engines are not thread-safe; one thread per model runs them in turn), and answered
/// separately. A bounded queue refuses work instead of growing: ``submit(_:)`` throws
/// ``ServingError/queueFull(limit:)`` when `queueLimit` requests already wait.
///
/// A batch whose execution throws fails its own requests only; the scheduler goes on. ``drain()``
/// stops accepting, answers everything already queued, and returns when the thread has finished;
/// call it to stop the thread (which keeps the scheduler alive until then).
public final class BatchScheduler<Input: Sendable, Output: Sendable>: Sendable {
  /// Runs one batch: one output per input, in order.
  public typealias Execute = @Sendable ([Input]) throws -> [Output]

  /// The largest batch, the longest a first request waits for company, and the queue's bound.
  public let maximumBatch: Int, maximumDelay: Duration, queueLimit: Int
  private let execute: Execute
  private let size: @Sendable (Input) -> Int
  private let observer: BatchObserver?
  private let state: Mutex<State>
  private let condition = NSCondition()
  private let finished = DispatchSemaphore(value: 0)

  private struct Pending: Sendable {
    let input: Input
    let enqueued: ContinuousClock.Instant
    let size: Int
    let answer: @Sendable (Result<Output, any Error>, Duration) -> Void
  }

  private struct State: Sendable {
    var queue: [Pending] = []
    /// The sum of the queued requests' sizes.
    var queuedItems = 0
    var accepting = true
    var statistics = BatchStatistics()
  }

  /// A scheduler running `execute` on its own thread; `size` tells how many items a request holds,
  /// and `observer` hears each run's item count and duration (for metrics).
  public init(
    maximumBatch: Int, maximumDelay: Duration, queueLimit: Int,
    size: @escaping @Sendable (Input) -> Int = { _ in 1 },
    observer: BatchObserver? = nil, execute: @escaping Execute
  ) {
    precondition(maximumBatch >= 1 && queueLimit >= 1, "a batch and a queue of at least 1")
    self.maximumBatch = maximumBatch
    self.maximumDelay = maximumDelay
    self.queueLimit = queueLimit
    self.execute = execute
    self.size = size
    self.observer = observer
    state = Mutex(State())
    let thread = Thread { [self] in self.run() }
    thread.name = "batch-scheduler"
    thread.start()
  }

  /// Requests waiting now (not yet in a run).
  public var queueDepth: Int { state.withLock { $0.queue.count } }

  /// What has been run so far.
  public var statistics: BatchStatistics { state.withLock { $0.statistics } }

  /// Queues `input` and waits for its output, which comes with how long it waited in the queue.
  ///
  /// - Throws: ``ServingError/queueFull(limit:)`` or ``ServingError/shuttingDown`` at once, or what
  ///   the batch's execution threw.
  public func submit(_ input: Input) async throws -> (output: Output, queueTime: Duration) {
    try await withCheckedThrowingContinuation { continuation in
      let pending = Pending(input: input, enqueued: .now, size: max(1, size(input))) { result, waited in
        continuation.resume(with: result.map { ($0, waited) })
      }
      let refusal: ServingError? = state.withLock { state in
        guard state.accepting else { return .shuttingDown }
        guard state.queue.count < queueLimit else {
          state.statistics.refused += 1
          return .queueFull(limit: queueLimit)
        }
        state.queue.append(pending)
        state.queuedItems += pending.size
        return nil
      }
      if let refusal {
        continuation.resume(throwing: refusal)
        return
      }
      condition.lock()
      condition.signal()
      condition.unlock()
    }
  }

  /// Stops accepting requests, answers every queued one, and returns once the thread has stopped.
  public func drain() {
    state.withLock { $0.accepting = false }
    condition.lock()
    condition.signal()
    condition.unlock()
    finished.wait()
    finished.signal()  // a second drain returns at once
  }

  /// The thread: wait for a first request, give the others `maximumDelay` to join, run, answer.
  private func run() {
    while true {
      condition.lock()
      while state.withLock({ $0.queue.isEmpty && $0.accepting }) { condition.wait() }
      condition.unlock()
      let (empty, first) = state.withLock { ($0.queue.isEmpty, $0.queue.first?.enqueued) }
      if empty {
        finished.signal()
        return
      }
      // Give others until the first request's deadline to join (each arrival signals).
      let deadline = first! + maximumDelay
      condition.lock()
      while case let remaining = deadline - ContinuousClock.now, remaining > .zero,
        state.withLock({ $0.queuedItems < maximumBatch && $0.accepting })
      {
        _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(remaining)))
      }
      condition.unlock()
      let batch = state.withLock { state -> [Pending] in
        var taken = [state.queue.removeFirst()]
        var items = taken[0].size
        while let next = state.queue.first, items + next.size <= maximumBatch {
          taken.append(state.queue.removeFirst())
          items += next.size
        }
        state.queuedItems -= items
        return taken
      }
      let started = ContinuousClock.now
      let result = Result { try execute(batch.map(\.input)) }
      let items = batch.reduce(0) { $0 + $1.size }
      state.withLock { $0.statistics.record(batchSize: items) }
      observer?(items, .now - started)
      for (index, pending) in batch.enumerated() {
        let waited = started - pending.enqueued
        switch result {
        case .success(let outputs) where outputs.count == batch.count:
          pending.answer(.success(outputs[index]), waited)
        case .success(let outputs):
          pending.answer(
            .failure(ServingError.wrongOutputCount(outputs.count, expected: batch.count)), waited)
        case .failure(let error):
          pending.answer(.failure(error), waited)
        }
      }
    }
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}

/// Hears each run of a scheduler: how many items it held and how long it took.
public typealias BatchObserver = @Sendable (_ items: Int, _ duration: Duration) -> Void

/// Counts of a scheduler's work, as Triton names them.
public struct BatchStatistics: Equatable, Sendable {
  /// Items answered by runs (inference count: images, a request of n images counting n) and runs
  /// (execution count).
  public var inferenceCount = 0, executionCount = 0
  /// Requests refused because the queue was full.
  public var refused = 0
  /// How many runs had each batch size (in items).
  public var batchSizes: [Int: Int] = [:]

  mutating func record(batchSize: Int) {
    inferenceCount += batchSize
    executionCount += 1
    batchSizes[batchSize, default: 0] += 1
  }
}

/// Why a request was not run.
public enum ServingError: Error, Equatable, CustomStringConvertible {
  /// The queue holds its limit already (an HTTP server answers 503 with Retry-After).
  case queueFull(limit: Int)
  /// The scheduler is draining and takes no new work.
  case shuttingDown
  /// An execution returned a different number of outputs than its batch had inputs.
  case wrongOutputCount(Int, expected: Int)

  public var description: String {
    switch self {
    case .queueFull(let limit): return "the queue is full (\(limit) requests wait); retry shortly"
    case .shuttingDown: return "the server is shutting down and takes no new requests"
    case .wrongOutputCount(let count, let expected): return "a batch of \(expected) gave \(count) outputs"
    }
  }
}
