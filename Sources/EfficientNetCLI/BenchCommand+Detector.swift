import EfficientNetCore
import EfficientNetDetection
import EfficientNetKernels
import EfficientNetModels
import EfficientNetTraining
import Foundation

extension BenchCommand {
  /// Times a detector with random weights: inference through the feature network and heads (box
  /// decoding and NMS not included, as effdet's model returns its head outputs), or with `--train`
  /// full training steps (forward, targets and loss for eight random boxes per image, backward, one
  /// AdamW update).
  func runDetector(_ name: String) throws {
    if let threads { ComputePool.shared.threadCount = threads }
    var configuration = try DetectorRegistry.configuration(named: name)
    if let resolution { (configuration.inputHeight, configuration.inputWidth) = (resolution, resolution) }
    let (height, width) = (configuration.inputHeight, configuration.inputWidth)
    let architecture = try configuration.backbone.resolve()
    try MachineMemory.require(architecture, batch: batch, side: max(height, width), training: train)
    let detector = try EfficientDet(
      configuration: configuration, backbone: EfficientNet(architecture: architecture, seed: 1), seed: 1)
    var generator = SeededGenerator(seed: 2)
    let shape = [batch, height, width, 3]
    let images = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.nextNormal() })
    let timing = IterationTiming(
      warmup: warmup ?? (train ? 2 : 3), minimumIterations: iterations, minimumSeconds: seconds,
      maximumIterations: max(iterations, BenchCommand.iterationCap))
    let forwardMultiplyAccumulates =
      detector.layout.cost(height: height, width: width).multiplyAccumulates * batch
    var result: BenchResult
    if train {
      result = try benchDetectorTraining(detector, images: images, timing: timing, generator: &generator)
      result.floatingPointOperations = 6 * Double(forwardMultiplyAccumulates)
    } else {
      let engine = DetectorEngine(detector)
      result = BenchResult(times: try timing.run { _ in _ = try engine.evaluate(images) })
      result.floatingPointOperations = 2 * Double(forwardMultiplyAccumulates)
    }
    result.peakResidentBytes = peakResidentBytes()
    let description = RunDescription(
      model: configuration.name, batch: batch, resolution: max(height, width),
      threads: ComputePool.shared.threadCount, mode: train ? "train" : "inference", warmup: timing.warmup)
    print(json ? try result.json(description) : result.text(description), terminator: json ? "\n" : "")
  }

  /// Times detector training steps on `images` with random boxes.
  private func benchDetectorTraining(
    _ detector: EfficientDet, images: Tensor, timing: IterationTiming, generator: inout SeededGenerator
  ) throws -> BenchResult {
    let graph = DetectorTrainingGraph(model: detector)
    let parameters = DetectorTrainer.parameters(of: graph)
    var optimizer = AdamW(weightDecay: 1e-4)
    let loss = DetectorTrainer.standardLoss(for: detector)
    let (height, width) = (Float(images.shape[1]), Float(images.shape[2]))
    let samples = (0..<images.shape[0]).map { _ in
      let boxes = (0..<8).map { _ -> SIMD4<Float> in
        let side = Float.random(in: 12...64, using: &generator)
        let y = Float.random(in: 0...(height - side), using: &generator)
        let x = Float.random(in: 0...(width - side), using: &generator)
        return SIMD4(y, x, y + side, x + side)
      }
      return DetectionSample(pixels: [], boxes: boxes, classes: boxes.map { _ in 1 })
    }
    var lastLoss = 0.0
    let times = try timing.run { _ in
      graph.zeroGradients()
      lastLoss = try graph.step(images: images, generator: &generator) { output in
        let terms = loss(output, samples)
        return (terms.total, terms.gradients)
      }
      optimizer.step(parameters, learningRate: 1e-4)
    }
    var result = BenchResult(times: times)
    result.loss = lastLoss
    return result
  }
}
