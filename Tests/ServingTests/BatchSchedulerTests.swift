import EfficientNetImageIO
import EfficientNetModels
import EfficientNetServing
import EfficientNetTestSupport
import Foundation
import Synchronization
import XCTest

/// Dynamic batching: concurrent requests share runs, every answer is the request's own, the queue
/// refuses instead of growing, a failing run fails only its requests, and draining answers what
/// was queued.
final class BatchSchedulerTests: XCTestCase {
  func testConcurrentRequestsShareRunsAndGetTheirOwnAnswers() async throws {
    let sizes = Mutex<[Int]>([])
    let scheduler = BatchScheduler<Int, Int>(maximumBatch: 8, maximumDelay: .milliseconds(20), queueLimit: 64)
    {
      inputs in
      sizes.withLock { $0.append(inputs.count) }
      return inputs.map { $0 * $0 }
    }
    let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
      for value in 0..<40 { group.addTask { (value, try await scheduler.submit(value).output) } }
      return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
    XCTAssertEqual(answers.count, 40)
    XCTAssertTrue(answers.allSatisfy { $0.value == $0.key * $0.key })
    let statistics = scheduler.statistics
    XCTAssertEqual(statistics.inferenceCount, 40)
    XCTAssertLessThan(statistics.executionCount, 40, "requests were batched: \(sizes.withLock { $0 })")
    XCTAssertTrue(sizes.withLock { $0 }.allSatisfy { $0 <= 8 })
    scheduler.drain()
  }

  func testAFullQueueRefusesAndAFailedRunFailsOnlyItsRequests() async throws {
    let gate = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)
    let scheduler = BatchScheduler<Int, Int>(maximumBatch: 1, maximumDelay: .zero, queueLimit: 2) { inputs in
      if inputs[0] == 0 {
        started.signal()
        gate.wait()
      }
      if inputs[0] == 1 { throw CocoaError(.fileReadCorruptFile) }
      return inputs
    }
    // Request 0 holds the thread; 1 and 2 fill the queue; 3 is refused at once.
    async let first = scheduler.submit(0)
    while started.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(5)) }
    async let second = scheduler.submit(1)
    async let third = scheduler.submit(2)
    while scheduler.queueDepth < 2 { try await Task.sleep(for: .milliseconds(5)) }
    do {
      _ = try await scheduler.submit(3)
      XCTFail("a full queue must refuse")
    } catch let error as ServingError {
      XCTAssertEqual(error, .queueFull(limit: 2))
    }
    gate.signal()
    let firstOutput = try await first.output
    XCTAssertEqual(firstOutput, 0)
    do {
      _ = try await second
      XCTFail("the failing run's request must fail")
    } catch {
      XCTAssertEqual((error as? CocoaError)?.code, .fileReadCorruptFile)
    }
    let thirdOutput = try await third.output
    XCTAssertEqual(thirdOutput, 2, "the run after a failure goes on")
    XCTAssertEqual(scheduler.statistics.refused, 1)
    scheduler.drain()
    do {
      _ = try await scheduler.submit(4)
      XCTFail("a drained scheduler takes no work")
    } catch let error as ServingError {
      XCTAssertEqual(error, .shuttingDown)
    }
  }

  /// Batched classification gives each photo exactly what the classifier gives it alone: the same
  /// classes and the same probabilities, bit for bit (the GEMM sums each row in one order wherever
  /// the batch puts it; the blocks run image by image).
  func testBatchedClassificationEqualsClassifyingAlone() async throws {
    let model = try ImageClassifier.pretrainedLite0Model()
    let service = try ClassificationService(model: model, maximumBatch: 4, maximumDelay: .milliseconds(50))
    let alone = try ImageClassifier(model: model)
    let photos = try ["chelsea.jpg", "coffee.jpg"].map {
      try ImageDecoder.decode(contentsOf: RepositoryPaths.samples.appendingPathComponent($0))
    }
    let requests = (0..<6).map { photos[$0 % 2] }
    let answers = try await withThrowingTaskGroup(of: (Int, [Prediction]).self) { group in
      for (index, image) in requests.enumerated() {
        group.addTask { (index, try await service.classify(image, top: 5).predictions) }
      }
      return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }
    for (index, image) in requests.enumerated() {
      let expected = try alone.classify(image, top: 5)
      let got = try XCTUnwrap(answers[index])
      XCTAssertEqual(got.map(\.classIndex), expected.map(\.classIndex))
      XCTAssertEqual(got.map(\.probability), expected.map(\.probability), "request \(index)")
    }
    XCTAssertLessThan(service.scheduler.statistics.executionCount, 6)
    service.scheduler.drain()
  }
}
