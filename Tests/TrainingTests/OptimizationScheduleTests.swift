import EfficientNetTraining
import Foundation
import XCTest

/// Learning-rate schedules against hand-computed values at their key points.
final class OptimizationScheduleTests: XCTestCase {
  func testPaperBaseRateScalesWithBatchSize() {
    XCTAssertEqual(LearningRateSchedule.paperBaseRate(batchSize: 256), 0.016)
    XCTAssertEqual(LearningRateSchedule.paperBaseRate(batchSize: 4096), 0.256)
    XCTAssertEqual(LearningRateSchedule.paperBaseRate(batchSize: 64), 0.004)
  }

  func testPaperScheduleWarmsUpLinearlyThenDecaysInStairs() {
    let schedule = LearningRateSchedule.paper(batchSize: 2048)  // base 0.128
    let base = 0.128
    XCTAssertEqual(schedule.rate(epoch: 0), 0)
    assertOptimizationRate(schedule.rate(epoch: 2.5), base / 2)
    assertOptimizationRate(schedule.rate(epoch: 4.999), base * 4.999 / 5)
    // After the warm-up the decay is counted from epoch 0: ⌊5 / 2.4⌋ = 2 periods already passed.
    assertOptimizationRate(schedule.rate(epoch: 5), base * 0.97 * 0.97)
    assertOptimizationRate(schedule.rate(epoch: 7.19), base * pow(0.97, 2))
    assertOptimizationRate(schedule.rate(epoch: 7.2), base * pow(0.97, 3))
    assertOptimizationRate(schedule.rate(epoch: 100), base * pow(0.97, 41))  // ⌊100 / 2.4⌋
    assertOptimizationRate(schedule.rate(epoch: 350), base * pow(0.97, 145))
  }

  func testStepBasedRateCountsBoundariesLikeTensorFlow() {
    let schedule = LearningRateSchedule.warmupExponential(baseRate: 1, warmupEpochs: 5)
    // 10 steps an epoch: warm-up is steps 0…49 at step / 50, periods are ⌊step / 24⌋.
    XCTAssertEqual(schedule.rate(step: 0, stepsPerEpoch: 10), 0)
    XCTAssertEqual(schedule.rate(step: 49, stepsPerEpoch: 10), 0.98)
    assertOptimizationRate(schedule.rate(step: 50, stepsPerEpoch: 10), pow(0.97, 2))
    assertOptimizationRate(schedule.rate(step: 71, stepsPerEpoch: 10), pow(0.97, 2))
    assertOptimizationRate(schedule.rate(step: 72, stepsPerEpoch: 10), pow(0.97, 3))
    // A fractional warm-up length truncates to whole steps: 2.55 epochs × 10 = 25 steps.
    let short = LearningRateSchedule.warmupExponential(baseRate: 1, warmupEpochs: 2.55)
    XCTAssertEqual(short.rate(step: 24, stepsPerEpoch: 10), 0.96)
    assertOptimizationRate(short.rate(step: 25, stepsPerEpoch: 10), 0.97)
  }

  func testContinuousExponentialDecayAndWarmupStart() {
    let schedule = LearningRateSchedule.warmupExponential(
      baseRate: 0.1, warmupEpochs: 1, decayRate: 0.5, decayEpochs: 2, staircase: false, warmupStartRate: 0.02)
    assertOptimizationRate(schedule.rate(epoch: 0), 0.02)
    assertOptimizationRate(schedule.rate(epoch: 0.5), 0.06)
    assertOptimizationRate(schedule.rate(epoch: 3), 0.1 * pow(0.5, 1.5))
  }

  func testCosineScheduleHitsBaseHalfwayAndMinimum() {
    let schedule = LearningRateSchedule.warmupCosine(
      baseRate: 0.4, warmupEpochs: 2, totalEpochs: 100, minimumRate: 0.01, warmupStartRate: 1e-4)
    assertOptimizationRate(schedule.rate(epoch: 0), 1e-4)
    assertOptimizationRate(schedule.rate(epoch: 1), (1e-4 + 0.4) / 2)
    // The cosine is counted from epoch 0, so at the end of the warm-up it has begun to fall.
    let atWarmupEnd = 0.01 + 0.39 * (1 + cos(Double.pi * 2 / 100)) / 2
    assertOptimizationRate(schedule.rate(epoch: 2), atWarmupEnd)
    assertOptimizationRate(schedule.rate(epoch: 50), (0.4 + 0.01) / 2)
    assertOptimizationRate(schedule.rate(epoch: 75), 0.01 + 0.39 * (1 - 0.5.squareRoot()) / 2)
    XCTAssertEqual(schedule.rate(epoch: 100), 0.01)
    XCTAssertEqual(schedule.rate(epoch: 140), 0.01)
    XCTAssertEqual(schedule.rate(step: 5000, stepsPerEpoch: 100), schedule.rate(epoch: 50))
  }

  func testConstantScheduleNeverChanges() {
    let schedule = LearningRateSchedule.constant(rate: 0.003)
    XCTAssertEqual(schedule.rate(epoch: 0), 0.003)
    XCTAssertEqual(schedule.rate(epoch: 1000), 0.003)
    XCTAssertEqual(schedule.rate(step: 7, stepsPerEpoch: 3), 0.003)
  }
}
