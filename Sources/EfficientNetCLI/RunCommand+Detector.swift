import EfficientNetCore
import EfficientNetDetection
import EfficientNetKernels
import EfficientNetModels
import Foundation
import WeightIO

extension RunCommand {
  /// Evaluates a detector: writes `class_out.0…`, `box_out.0…` (NCHW, P3 first, as effdet's model
  /// returns them) and `detections` `[N, 100, 6]` (x1, y1, x2, y2, score, class; rows of zeros
  /// pad an image with fewer, as effdet's `DetBenchPredict` without image info).
  func runDetector(_ name: String) throws {
    if let threads { ComputePool.shared.threadCount = threads }
    let start = Date()
    let detector = try EfficientDet.load(
      configuration: try DetectorRegistry.configuration(named: name),
      contentsOf: URL(fileURLWithPath: weights))
    let engine = DetectorEngine(detector)
    let loaded = Date()
    let inputFile = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: input))
    let stored = try inputFile.tensor(named: "input")
    let side = FlagLimits.resolution.upperBound
    guard stored.shape.count == 4, stored.shape[1] == 3, stored.shape[0] >= 1,
      (32...side).contains(stored.shape[2]), (32...side).contains(stored.shape[3])
    else {
      throw CommandError(
        "\(input): tensor 'input' has shape \(stored.shape); \(detector.configuration.name) takes "
          + "[N, 3, H, W] (NCHW) with N ≥ 1 and 32 ≤ H, W ≤ \(side)")
    }
    try MachineMemory.require(
      detector.backbone.architecture, batch: stored.shape[0], side: max(stored.shape[2], stored.shape[3]),
      training: false)
    let nhwc = Tensor(shape: stored.shape, values: stored.floats()).nchwToNHWC()
    var result = try ModelLoading.attributingOverflow(to: weights) { try engine.evaluate(nhwc) }
    var times: [Double] = []
    for _ in 0..<repetitions {
      let started = Date()
      result = try engine.evaluate(nhwc)
      times.append(Date().timeIntervalSince(started) * 1000)
    }
    let anchors = AnchorGrid(layout: detector.layout, height: stored.shape[2], width: stored.shape[3])
    let decoding = DetectionDecoding()
    let detections = decoding.detections(
      result, anchors: anchors, classCount: detector.configuration.classCount)
    var writer = SafeTensorsWriter(metadata: ["model": detector.configuration.name])
    for (kind, levels) in [("class_out", result.classOutputs), ("box_out", result.boxOutputs)] {
      for (level, tensor) in levels.enumerated() {
        let converted = tensor.nhwcToNCHW()
        try writer.add(name: "\(kind).\(level)", shape: converted.shape, values: converted.scalars)
      }
    }
    var rows = [Float](repeating: 0, count: detections.count * decoding.detectionLimit * 6)
    for (image, found) in detections.enumerated() {
      for (index, detection) in found.enumerated() {
        let offset = (image * decoding.detectionLimit + index) * 6
        let box = detection.box
        rows.replaceSubrange(
          offset..<offset + 6,
          with: [box[0], box[1], box[2], box[3], detection.score, Float(detection.classIndex)])
      }
    }
    try writer.add(name: "detections", shape: [detections.count, decoding.detectionLimit, 6], values: rows)
    try writer.write(to: URL(fileURLWithPath: output))
    reportTimes(
      model: detector.configuration.name, loadSeconds: loaded.timeIntervalSince(start), times: times,
      shape: stored.shape)
  }
}
