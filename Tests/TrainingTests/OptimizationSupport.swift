import EfficientNetTestSupport
import EfficientNetTraining
import Foundation
import XCTest

/// PyTorch/timm reference trajectories written by `Fixtures/optimization/make_optimizer_fixtures.py`.
struct OptimizationFixtures: Decodable {
  /// One optimizer configuration: initial parameters, per-step gradients and learning rates, and the
  /// parameters after each step.
  struct Trajectory: Decodable {
    let name: String
    let initial: [String: [Double]]
    let learningRates: [Double]
    let gradients: [[String: [Double]]]
    let expected: [[String: [Double]]]
  }

  /// One `torch.nn.utils.clip_grad_norm_` call.
  struct Clipping: Decodable {
    let maxNorm: Double
    let gradients: [String: [Double]]
    let totalNorm: Double
    let clipped: [String: [Double]]
  }

  let trajectories: [Trajectory]
  let clipping: [Clipping]

  /// The parameter names and shapes the fixtures use; "weight" decays, "bias" does not.
  static let shapes: [(name: String, shape: [Int])] = [("weight", [3, 4]), ("bias", [5])]

  static let shared: Result<OptimizationFixtures, Error> = Result {
    let url = RepositoryPaths.fixtures("TrainingTests", "optimization/optimizer_fixtures.json")
    return try JSONDecoder().decode(OptimizationFixtures.self, from: Data(contentsOf: url))
  }

  static func trajectory(_ name: String) throws -> Trajectory {
    let fixtures = try shared.get()
    guard let trajectory = fixtures.trajectories.first(where: { $0.name == name }) else {
      throw NSError(domain: "OptimizationFixtures", code: 1, userInfo: [NSLocalizedDescriptionKey: name])
    }
    return trajectory
  }
}

extension Array where Element == Double {
  /// The values rounded to float.
  var optimizationFloats: [Float] { map { Float($0) } }
}

/// Fresh parameters "weight" (decays) and "bias" (no decay) holding `values`.
func makeOptimizationParameters(_ values: [String: [Double]]) -> [TrainableParameter] {
  OptimizationFixtures.shapes.map { entry in
    TrainableParameter(
      name: entry.name, shape: entry.shape, values: (values[entry.name] ?? []).optimizationFloats)
  }
}

/// Asserts `actual` ≈ `expected` elementwise: |a − e| ≤ tolerance·max(|e|, 1), relative to the
/// parameters' scale (values that cancel to near zero keep the rounding error of their O(1) operands).
func assertOptimizationClose(
  _ actual: [Float], _ expected: [Double], tolerance: Double = 1e-6, _ message: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(actual.count, expected.count, "\(message): count", file: file, line: line)
  for (index, (a, e)) in zip(actual, expected).enumerated() {
    let error = abs(Double(a) - e)
    if error > tolerance * max(abs(e), 1) {
      XCTFail("\(message)[\(index)]: \(a) vs \(e) (error \(error))", file: file, line: line)
      return
    }
  }
}

/// Deterministic pseudo-random floats in [-scale, scale).
func optimizationNoise(count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
  var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
  }
}

/// Asserts a learning rate equals `expected` to float precision (1e-7 relative).
func assertOptimizationRate(
  _ actual: Float, _ expected: Double, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(Double(actual), expected, accuracy: 1e-7 * abs(expected) + 1e-12, file: file, line: line)
}
