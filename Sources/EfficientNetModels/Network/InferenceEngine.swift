import EfficientNetCore
import EfficientNetKernels
import EfficientNetLayers
import Foundation

/// What one evaluation of an EfficientNet returns.
public struct InferenceOutput: Sendable {
  /// Class scores before softmax, `[N, classes]`; nil for a headless model.
  public var logits: Tensor?
  /// Globally pooled head features, `[N, headChannels]`.
  public var pooledFeatures: Tensor
  /// Multi-scale feature maps (strides 2, 4, 8, 16, 32 for B0), NHWC; empty unless requested.
  public var features: [Tensor]
  /// Per-layer timings; nil unless requested.
  public var profile: LayerProfile?
  /// The first layer whose output held a NaN or an infinity, when the run checked every layer.
  public var nonFiniteLayer: String?
}

/// An EfficientNet compiled for fast evaluation: batch norm folded into the convolutions, weights
/// packed for the kernels, and activation buffers planned once per input shape and then reused.
///
/// An engine is not thread-safe: evaluate from one thread at a time (its kernels use the pool's
/// threads internally). Build one engine per concurrent caller.
public final class InferenceEngine {
  /// The architecture being evaluated.
  public let architecture: Architecture
  /// The layers evaluated, with their names for profiles.
  public let layout: NetworkLayout
  let pool: ComputePool
  let activation: Activation
  let stem: ConvolutionLayer
  let blocks: [InferenceBlock]
  let head: PointwiseLayer
  let classifier: PointwiseLayer?
  var plan: BufferPlan?
  /// Blocks whose expanded activation (per image) is at least this many bytes run their expansion
  /// and depthwise convolution fused, band by band, so the expanded tensor stays in cache (the same
  /// numbers either way). Blocks whose depthwise convolution takes the small-map kernel
  /// (``DepthwiseConvolution/usesPaddedSlices(geometry:channels:)``) are left unfused: that kernel
  /// beats the fused one's clipped border columns (B3's 19×19 blocks: about 4% of the whole pass).
  /// `Int.max` turns fusion off; 0 fuses every other inverted-residual block. The default is 1 MiB,
  /// or `EFFICIENTNET_FUSION_BYTES` from the environment (for benchmarks).
  public var fusionMinimumBytes =
    ProcessInfo.processInfo.environment["EFFICIENTNET_FUSION_BYTES"].flatMap { Int($0) } ?? 1 << 20

  /// Folds and packs `model`'s tensors; the model itself is not kept.
  public init(model: EfficientNet, pool: ComputePool = .shared) {
    architecture = model.architecture
    layout = model.layout
    self.pool = pool
    activation = model.configuration.activation.kernelActivation
    let (stemWeights, stemBias) = model.folded(layout.stem)
    stem = ConvolutionLayer(
      packing: stemWeights, bias: stemBias, inputChannels: layout.stem.inputChannels,
      outputChannels: layout.stem.outputChannels, kernelSize: layout.stem.kernelSize)
    blocks = model.layout.blocks.map { InferenceBlock(model: model, layout: $0) }
    head = model.foldedPointwise(layout.head)
    classifier = layout.classifier.map {
      PointwiseLayer(
        packing: model.tensor(.linearWeight, of: $0).scalars, bias: model.tensor(.bias, of: $0).scalars,
        outputCount: $0.outputChannels)
    }
  }

  /// Convenience: builds the model's engine.
  public convenience init(_ model: EfficientNet) { self.init(model: model) }

  /// Evaluates a batch in inference mode.
  ///
  /// - Parameters:
  ///   - input: `[N, H, W, C]` NHWC with C the model's input channels; any H, W ≥ 1.
  ///   - collectFeatures: also return the multi-scale feature maps.
  ///   - profiling: also time every kernel call (``InferenceOutput/profile``).
  ///   - featuresOnly: with `collectFeatures`, stop after the last feature stage, as a detector's
  ///     backbone does: no head, pooling or classifier (no logits, and pooled features `[N, 0]`).
  /// - Throws: ``ModelError/invalidInput(name:reason:)`` for a wrong rank or channel count.
  public func evaluate(
    _ input: Tensor, collectFeatures: Bool = false, profiling: Bool = false, featuresOnly: Bool = false
  ) throws -> InferenceOutput {
    guard input.shape.count == 4 else {
      throw ModelError.invalidInput(
        name: "input", reason: "expected 4 axes [N, H, W, C], got shape \(input.shape)")
    }
    let channels = architecture.configuration.inputChannels
    guard input.shape[3] == channels, input.shape[0] > 0, input.shape[1] > 0, input.shape[2] > 0 else {
      throw ModelError.invalidInput(
        name: "input", reason: "expected [N, H, W, \(channels)] with N, H, W ≥ 1, got shape \(input.shape)")
    }
    let finite = input.withUnsafeBufferPointer { Elementwise.allFinite($0) }
    guard finite else { throw ModelError.nonFiniteInput }
    let (batch, height, width) = (input.shape[0], input.shape[1], input.shape[2])
    if plan?.matches(
      batch: batch, height: height, width: width, threadCount: pool.threadCount,
      fusionMinimumBytes: fusionMinimumBytes) != true
    {
      plan = BufferPlan(engine: self, batch: batch, height: height, width: width)
    }
    let output = input.withUnsafeBufferPointer {
      run(
        input: $0, plan: plan!, collectFeatures: collectFeatures, profiling: profiling,
        featuresOnly: featuresOnly && collectFeatures)
    }
    let outputs = [output.logits, output.pooledFeatures].compactMap { $0 } + output.features
    guard outputs.allSatisfy({ $0.withUnsafeBufferPointer { Elementwise.allFinite($0) } }) else {
      // Rare: run again, checking every layer, to name the first that overflowed.
      let located = input.withUnsafeBufferPointer {
        run(input: $0, plan: plan!, collectFeatures: false, profiling: false, locatingNonFinite: true)
      }
      throw ModelError.nonFiniteOutput(layer: located.nonFiniteLayer ?? "the output")
    }
    return output
  }
}
