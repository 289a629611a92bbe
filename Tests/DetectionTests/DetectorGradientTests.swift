import EfficientNetCore
import EfficientNetDetection
import EfficientNetModels
import EfficientNetTestSupport
import WeightIO
import XCTest

/// One training-mode forward and backward against effdet 0.4.1 and torch's autograd
/// (`Fixtures/detector-gradients.safetensors`, made by `Fixtures/make_detector_gradients.py`):
/// the heads' outputs with batch statistics, every gradient outside the backbone and the backbone's
/// small tensors' within 1e-4 of each tensor's largest, and the running statistics after the step.
final class DetectorGradientTests: XCTestCase {
  func testGradientsMatchAutograd() throws {
    let fixture = try SafeTensorsFile.fixture("DetectionTests", "detector-gradients.safetensors")
    for name in ["tf_efficientdet_d0", "tf_efficientdet_lite0"] {
      var configuration = try DetectorRegistry.configuration(named: name)
      configuration.classCount = 3
      configuration.inputHeight = 256
      configuration.inputWidth = 256
      configuration.backbone.dropConnectRate = 0
      let layout = try DetectorLayout(configuration)
      let tensors = DeterministicWeights.tensors(layout.parameters.map { ($0.name, $0.shape) })
      let graph = DetectorTrainingGraph(
        model: try EfficientDet(configuration: configuration, tensors: tensors, source: name))
      graph.zeroGradients()
      let input = Tensor(
        shape: [4, 3, 256, 256],
        values: DeterministicWeights.uniform(count: 4 * 3 * 256 * 256, name: name + ".input").map {
          Float(2 * $0)
        })
      var generator = SeededGenerator(seed: 0)
      func upstream(_ outputs: [Tensor], _ kind: String) -> [Tensor] {
        outputs.enumerated().map { level, output in
          let nchw = output.nhwcToNCHW()
          let values = DeterministicWeights.uniform(count: nchw.count, name: "\(name).\(kind).\(level)")
          return Tensor(shape: nchw.shape, values: values.map { Float($0) }).nchwToNHWC()
        }
      }
      var outputs: DetectorOutput?
      _ = try graph.step(images: input.nchwToNHWC(), generator: &generator) { output in
        outputs = output
        return (
          0,
          HeadGradients(
            classGradients: upstream(output.classOutputs, "class_gradient"),
            boxGradients: upstream(output.boxOutputs, "box_gradient"))
        )
      }
      let forward = try XCTUnwrap(outputs)
      for level in [0, 4] {
        let expected = try fixture.floatTensor(named: "\(name).class_out.\(level)")
        assertClose(
          forward.classOutputs[level].nhwcToNCHW(), expected, tolerance: 1e-4 * maxMagnitude(expected),
          "\(name) class_out.\(level) (training mode)")
      }
      var checked = 0
      var relativeErrors: [(Float, Float, Float, String)] = []
      for tensorName in fixture.names {
        let prefix = "\(name).grad."
        guard tensorName.hasPrefix(prefix) else { continue }
        let parameter = String(tensorName.dropFirst(prefix.count))
        let ours: FloatBuffer?
        if parameter.hasPrefix(DetectorLayout.backbonePrefix) {
          ours =
            graph.backbone.parameters.gradients[
              String(parameter.dropFirst(DetectorLayout.backbonePrefix.count))]
        } else {
          ours = graph.parameters.gradients[parameter]
        }
        let expected = try fixture.floatTensor(named: tensorName)
        let gradient = try XCTUnwrap(ours, "\(name): no gradient for \(parameter)")
        let scale = try gradientScale(parameter, expected, fixture: fixture, prefix: prefix)
        let difference = zip(gradient.array, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        relativeErrors.append((difference, scale, maxMagnitude(expected), parameter))
        checked += 1
      }
      XCTAssertGreaterThan(checked, 200, name)
      // Against float64: D0 (swish) within 1e-3 of each tensor's scale (most tensors within 1e-4);
      // Lite0 within 5e-2, since its ReLU6 masks flip under float32 rounding: torch's own float32
      // gradients of this case differ from float64's by up to 2.8e-2.
      let bound: Float = name.contains("lite") ? 5e-2 : 1e-3
      let largest = relativeErrors.map(\.2).max() ?? 0
      for (difference, scale, _, parameter) in relativeErrors {
        // A bias just before a batch norm has a gradient of exactly zero; float32 leaves noise of
        // about 1e-3 of its weight's gradient there (the scale, for these, is 1% of that).
        let vanishes =
          (parameter.hasSuffix("conv_pw.bias") && !parameter.contains("predict"))
          || parameter.hasSuffix("conv.conv.bias")
        let measure = max(scale, 1e-3 * largest) * (vanishes ? 10 : 1)
        XCTAssertLessThanOrEqual(
          difference, bound * measure,
          "\(name) gradient of \(parameter): \(difference) against scale \(measure)")
      }
      let withinStrictBound = relativeErrors.filter { $0.0 <= 1e-4 * max($0.1, 1e-3 * largest) }.count
      if !name.contains("lite") {
        XCTAssertGreaterThan(Double(withinStrictBound) / Double(checked), 0.9, "\(name): share within 1e-4")
      }
      for tensorName in fixture.names where tensorName.hasPrefix("\(name).state.") {
        let parameter = String(tensorName.dropFirst("\(name).state.".count))
        let ours =
          parameter.hasPrefix(DetectorLayout.backbonePrefix)
          ? graph.backbone.parameters.values[String(parameter.dropFirst(DetectorLayout.backbonePrefix.count))]
          : graph.parameters.values[parameter]
        let expected = try fixture.floatTensor(named: tensorName)
        assertClose(
          try XCTUnwrap(ours, parameter).array, expected.scalars, tolerance: 1e-5, "\(name) \(parameter)")
      }
    }
  }

  /// The size a tensor's gradient is measured against: its largest value, or, for a gradient that
  /// vanishes analytically (a bias or shift just before a batch norm), a hundredth of its module's
  /// weight gradient's largest.
  private func gradientScale(
    _ parameter: String, _ expected: Tensor, fixture: SafeTensorsFile, prefix: String
  )
    throws -> Float
  {
    var scale = maxMagnitude(expected)
    if parameter.hasSuffix(".bias") {
      let sibling = prefix + parameter.dropLast(".bias".count) + ".weight"
      if fixture.names.contains(sibling) {
        scale = max(scale, 0.01 * maxMagnitude(try fixture.floatTensor(named: sibling)))
      }
    }
    return max(scale, 1e-12)
  }
}
