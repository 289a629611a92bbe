import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import EfficientNetModels

/// The backbone's saved forward up to its last block, for a step whose loss lies beyond its
/// multi-scale features (a detector's): the features, and what their backward needs.
public struct BackboneForward {
  /// The feature maps of the requested stages, NHWC `[N, H, W, C]`, in the order asked.
  public let features: [FloatBuffer]
  /// Each feature map's height and width.
  public let featureSizes: [(height: Int, width: Int)]
  /// The requested stages.
  public let stages: [Int]
  let input: FloatBuffer
  let batch: Int, height: Int, width: Int
  let stemGeometry: ConvolutionGeometry
  let stem: BatchNormRecord
  let records: [BlockRecord]
}

extension TrainingGraph {
  /// The stem and every block in training mode on `images` (NHWC), keeping what the backward needs;
  /// the head and classifier are not run. Resets the graph's workspace: the previous forward's
  /// buffers are reused.
  ///
  /// - Parameters:
  ///   - images: `[N, H, W, C]`.
  ///   - stages: the stages whose last block's output to return (e.g. the last three feature stages).
  ///   - generator: draws the stochastic-depth masks.
  public func forwardFeatures(images: Tensor, stages: [Int], generator: inout SeededGenerator) throws
    -> BackboneForward
  {
    let configuration = architecture.configuration
    guard images.shape.count == 4, images.shape[3] == configuration.inputChannels, images.shape[0] > 0 else {
      throw ModelError.invalidInput(
        name: "images", reason: "expected [N, H, W, \(configuration.inputChannels)], got \(images.shape)")
    }
    precondition(stages.allSatisfy { architecture.stages.indices.contains($0) }, "no such stage")
    refreshPackedWeights()
    workspace.reset()
    let (batch, height, width) = (images.shape[0], images.shape[1], images.shape[2])
    let input = workspace.next(images.count)
    images.withUnsafeBufferPointer {
      input.buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
    }
    let pass = TrainingPass(graph: self, batch: batch, height: height, width: width, timer: nil)
    let (stemGeometry, stem) = pass.stemForward(input: input.readable)
    var (h, w) = (stemGeometry.outputHeight, stemGeometry.outputWidth)
    var current = stem.output
    var records: [BlockRecord] = []
    var outputs: [Int: (FloatBuffer, Int, Int)] = [:]
    for block in blocks {
      let record = pass.blockForward(block, input: current, height: h, width: w, generator: &generator)
      records.append(record)
      current = record.output
      (h, w) = (record.geometry.outputHeight, record.geometry.outputWidth)
      outputs[block.block.stage] = (current, h, w)
    }
    return BackboneForward(
      features: stages.map { outputs[$0]!.0 }, featureSizes: stages.map { (outputs[$0]!.1, outputs[$0]!.2) },
      stages: stages, input: input, batch: batch, height: height, width: width, stemGeometry: stemGeometry,
      stem: stem, records: records)
  }

  /// The backward of ``forwardFeatures(images:stages:generator:)`` from the gradients of its
  /// features (one per requested stage, each the size of its feature; consumed), adding every
  /// backbone parameter's gradient.
  public func backwardFeatures(_ forward: BackboneForward, gradients: [FloatBuffer]) {
    precondition(gradients.count == forward.stages.count, "one gradient per feature")
    let pass = TrainingPass(
      graph: self, batch: forward.batch, height: forward.height, width: forward.width, timer: nil)
    let incoming = Dictionary(uniqueKeysWithValues: zip(forward.stages, gradients))
    var gradient: FloatBuffer?
    var lastStage: Int?
    for (record, block) in zip(forward.records, blocks).reversed() {
      // The last block of a stage: its output is that stage's feature.
      if block.block.stage != lastStage, let feature = incoming[block.block.stage] {
        if let current = gradient {
          Elementwise.add(feature.readable, into: current.buffer, pool: pool)
        } else {
          gradient = feature
        }
      }
      lastStage = block.block.stage
      guard let outputGradient = gradient else { continue }
      gradient = pass.blockBackward(record, block, outputGradient: outputGradient)
    }
    guard let gradient else { return }
    pass.stemBackward(
      input: forward.input.readable, geometry: forward.stemGeometry, record: forward.stem,
      outputGradient: gradient)
  }
}
