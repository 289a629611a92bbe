/// How a model is exported to ONNX.
public struct ONNXExportOptions: Equatable, Sendable {
  /// A batch axis: named `batch` and free, or fixed.
  public enum Batch: Equatable, Sendable {
    /// Any batch size (the axis is named `batch`).
    case dynamic
    /// Exactly this many images.
    case fixed(Int)
  }

  /// The input's spatial size: free (`height` and `width` axes), or fixed.
  public enum Size: Equatable, Sendable {
    /// Any height and width: TF "same" padding becomes `auto_pad = SAME_UPPER`.
    case dynamic
    /// Exactly this height and width: TF "same" padding becomes explicit `pads`.
    case fixed(height: Int, width: Int)
  }

  /// The operator set version (17 by default; 13 to 21 are written).
  public var opset = 17
  /// The batch axis (dynamic by default).
  public var batch = Batch.dynamic
  /// The spatial size; nil means the model's own input size, fixed.
  public var size: Size?
  /// Whether batch norms are folded into the convolutions before them (the default), or written as
  /// `BatchNormalization` nodes.
  public var foldsBatchNorm = true

  /// For a detector: decode the heads' outputs against the anchors into `boxes` `[N, A, 4]` and
  /// `scores` `[N, A, classes]` (NMS is still left out), instead of returning the raw heads.
  public var decodesBoxes = false

  /// The opsets this exporter writes: every operator it emits is unchanged across them.
  public static let supportedOpsets = 13...21

  /// The defaults: opset 17, dynamic batch, the model's size, batch norm folded.
  public init() {}
}
