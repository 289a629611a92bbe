import EfficientNetTraining
import XCTest

/// The learning-rate range test on gradient descent over `½·h·‖w‖²`, where the right rate is
/// known: 1/h reaches the minimum in one step, and any rate above 2/h diverges.
final class LearningRateFinderTests: XCTestCase {
  /// Sweeps the quadratic of curvature `curvature` from w = (1, …, 1).
  private func sweep(curvature: Double) -> LearningRateFinding {
    var weights = [Double](repeating: 1, count: 8)
    return LearningRateSweep().run { rate in
      let loss = weights.reduce(0) { $0 + 0.5 * curvature * $1 * $1 }
      for index in weights.indices { weights[index] -= Double(rate) * curvature * weights[index] }
      return loss
    }
  }

  func testTheSuggestionIsBelowTheStabilityBoundAndScalesWithTheCurvature() throws {
    for curvature in [100.0, 10_000.0] {
      let finding = sweep(curvature: curvature)
      XCTAssertTrue(finding.diverged, "curvature \(curvature): the sweep must stop at divergence")
      XCTAssertGreaterThan(finding.rates.last!, 2 / curvature, "it stops only past the stability bound")
      XCTAssertLessThan(finding.rates.count, LearningRateSweep().steps)
      let suggestion = try XCTUnwrap(finding.suggestedRate)
      // Near the one-step optimum 1/h (within a factor of two) and below the stability bound 2/h.
      XCTAssertGreaterThan(suggestion * curvature, 0.5, "curvature \(curvature)")
      XCTAssertLessThan(suggestion * curvature, 2, "curvature \(curvature)")
    }
    let gentle = try XCTUnwrap(sweep(curvature: 100).suggestedRate)
    let steep = try XCTUnwrap(sweep(curvature: 10_000).suggestedRate)
    // A hundred times the curvature, a hundredth of the rate (within one sweep step either way).
    let step = pow(LearningRateSweep().endRate / LearningRateSweep().startRate, 1.0 / 199)
    XCTAssertEqual(log(gentle / steep), log(100), accuracy: 2 * log(step))
  }

  func testTheRatesGrowExponentiallyFromTheStartAndTheLossIsSmoothedWithBiasCorrection() {
    let sweep = LearningRateSweep()
    XCTAssertEqual(sweep.rate(step: 0), 1e-7, accuracy: 1e-20)
    XCTAssertEqual(sweep.rate(step: sweep.steps - 1), 10, accuracy: 1e-9)
    let constant = sweep.run { _ in 2.5 }
    // A constant loss smooths to itself from the first step (the bias correction), never diverges,
    // and suggests nothing: it never fell.
    XCTAssertEqual(constant.rates.count, sweep.steps)
    XCTAssertFalse(constant.diverged)
    for value in constant.smoothedLosses { XCTAssertEqual(value, 2.5, accuracy: 1e-9) }
    XCTAssertNil(constant.suggestedRate)
  }

  func testANonFiniteLossStopsTheSweepAsDivergence() {
    var count = 0
    let finding = LearningRateSweep().run { _ in
      count += 1
      return count < 30 ? 3 - Double(count) * 0.05 : .nan
    }
    XCTAssertTrue(finding.diverged)
    XCTAssertEqual(finding.rates.count, 29)
    XCTAssertEqual(count, 30)
  }
}
