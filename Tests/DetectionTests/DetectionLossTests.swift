import EfficientNetCore
import EfficientNetDetection
import EfficientNetTestSupport
import WeightIO
import XCTest

/// The detection loss and its gradients against effdet's `DetectionLoss` and autograd.
final class DetectionLossTests: XCTestCase {
  static func output(_ fixture: SafeTensorsFile) throws -> (classOutputs: [Tensor], boxOutputs: [Tensor]) {
    let levels = AnchorLabelingTests.levels
    return try (
      levels.map { try fixture.floatTensor(named: "class_outputs.\($0)") },
      levels.map { try fixture.floatTensor(named: "box_outputs.\($0)") }
    )
  }

  func testLossAndGradientsMatchEffdet() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "loss-fixture.safetensors")
    let labels = try AnchorLabelingTests.labels(fixture)
    let output = try Self.output(fixture)
    let result = DetectionLoss(classCount: 3).evaluate(
      classOutputs: output.classOutputs, boxOutputs: output.boxOutputs, labels: labels)
    let expected = try fixture.tensor(named: "losses").floats().map(Double.init)
    for (ours, theirs) in zip([result.classLoss, result.boxLoss, result.total], expected) {
      XCTAssertEqual(ours, theirs, accuracy: 1e-5 * abs(theirs))
    }
    for (index, level) in AnchorLabelingTests.levels.enumerated() {
      for (name, ours) in [("class", result.classGradients[index]), ("box", result.boxGradients[index])] {
        let theirs = try fixture.floatTensor(named: "\(name)_gradients.\(level)")
        assertClose(
          ours, theirs, tolerance: 1e-4 * max(maxMagnitude(theirs), 1e-12), "\(name) level \(level)")
      }
    }
  }

  func testGradientsMatchFiniteDifferences() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "loss-fixture.safetensors")
    let labels = try AnchorLabelingTests.labels(fixture)
    let loss = DetectionLoss(classCount: 3)
    let output = try Self.output(fixture)
    let analytic = loss.evaluate(
      classOutputs: output.classOutputs, boxOutputs: output.boxOutputs, labels: labels)
    // (class?, level, flat index): logits of positives and negatives, and box coordinates with targets.
    var probes: [(Bool, Int, Int)] = [(true, 0, 0), (true, 0, 500), (true, 1, 40), (true, 4, 3)]
    for level in 0..<2 {
      if let index = labels[0].boxTargets[level].firstIndex(where: { $0 != 0 }) {
        probes.append((false, level, index))
      }
      if let anchor = labels[0].classTargets[level].firstIndex(where: { $0 >= 0 }) {
        probes.append((true, level, anchor * 3 + labels[0].classTargets[level][anchor]))
      }
    }
    for (isClass, level, index) in probes {
      let step: Float = 1e-3
      func total(_ shift: Float) -> (Double, Float) {
        var shifted = output
        var tensor = isClass ? shifted.classOutputs[level] : shifted.boxOutputs[level]
        var value: Float = 0
        tensor.withUnsafeMutableBufferPointer {
          $0[index] += shift
          value = $0[index]
        }
        if isClass { shifted.classOutputs[level] = tensor } else { shifted.boxOutputs[level] = tensor }
        let result = loss.evaluate(
          classOutputs: shifted.classOutputs, boxOutputs: shifted.boxOutputs, labels: labels)
        return (result.total, value)
      }
      let (upper, upperValue) = total(step)
      let (lower, lowerValue) = total(-step)
      let numeric = (upper - lower) / Double(upperValue - lowerValue)
      let gradients = isClass ? analytic.classGradients : analytic.boxGradients
      let ours = Double(gradients[level][flat: index])
      XCTAssertEqual(ours, numeric, accuracy: 1e-3 * max(abs(numeric), 1e-3), "\(isClass) \(level) \(index)")
    }
  }
}
