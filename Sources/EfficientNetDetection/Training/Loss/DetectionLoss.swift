import EfficientNetCore

/// The loss of a batch and its gradients in the heads' outputs (same layout as ``DetectorOutput``).
public struct DetectionLossResult: Sendable {
  /// The focal class loss, summed over levels.
  public var classLoss: Double
  /// The Huber box loss, summed over levels.
  public var boxLoss: Double
  /// `classLoss + boxLossWeight · boxLoss`.
  public var total: Double
  /// d total / d class logits per level, NHWC `[N, H, W, 9·classes]`.
  public var classGradients: [Tensor]
  /// d total / d box regressions per level, NHWC `[N, H, W, 36]`.
  public var boxGradients: [Tensor]
}

/// effdet's `DetectionLoss` (`loss_fn` with `new_focal_loss`), with analytic gradients.
///
/// Both terms divide by `N = Σ positives + 1` over the batch. The class loss sums the focal loss of
/// every logit against the one-hot of its anchor's class target (all zeros for background), skipping
/// anchors whose target is −2; the box loss sums the Huber loss of every coordinate whose target is
/// nonzero, divided by `4N`.
public struct DetectionLoss: Sendable {
  /// The number of object classes.
  public var classCount: Int
  /// The class loss.
  public var focal: FocalLoss
  /// The box loss.
  public var huber: HuberLoss
  /// The box loss's weight in the total.
  public var boxLossWeight: Double

  /// effdet's defaults: α 0.25, γ 1.5, δ 0.1, box weight 50, no label smoothing.
  public init(
    classCount: Int, focal: FocalLoss = FocalLoss(), huber: HuberLoss = HuberLoss(),
    boxLossWeight: Double = 50
  ) {
    self.classCount = classCount
    self.focal = focal
    self.huber = huber
    self.boxLossWeight = boxLossWeight
  }

  /// The loss of `output` against one ``AnchorLabels`` per image, and its gradients.
  public func evaluate(_ output: DetectorOutput, labels: [AnchorLabels]) -> DetectionLossResult {
    evaluate(classOutputs: output.classOutputs, boxOutputs: output.boxOutputs, labels: labels)
  }

  /// The loss of the heads' outputs per level (``DetectorOutput``'s layout) against one
  /// ``AnchorLabels`` per image, and its gradients.
  public func evaluate(classOutputs: [Tensor], boxOutputs: [Tensor], labels: [AnchorLabels])
    -> DetectionLossResult
  {
    let normalizer = Double(labels.reduce(0) { $0 + $1.positiveCount }) + 1
    var classLoss = 0.0
    var boxLoss = 0.0
    var classGradients: [Tensor] = []
    var boxGradients: [Tensor] = []
    for (level, logits) in classOutputs.enumerated() {
      let batch = logits.shape[0]
      precondition(batch == labels.count, "one set of labels per image")
      let perImage = logits.count / batch
      var gradient = [Float](repeating: 0, count: logits.count)
      logits.withUnsafeBufferPointer { values in
        for image in 0..<batch {
          for (anchor, target) in labels[image].classTargets[level].enumerated()
          where target != AnchorLabels.ignoredClass {
            let start = image * perImage + anchor * classCount
            for classIndex in 0..<classCount {
              let term = focal.valueAndDerivative(
                logit: Double(values[start + classIndex]), target: target == classIndex ? 1 : 0)
              classLoss += term.value / normalizer
              gradient[start + classIndex] = Float(term.derivative / normalizer)
            }
          }
        }
      }
      classGradients.append(Tensor(shape: logits.shape, values: gradient))
    }
    for (level, regressions) in boxOutputs.enumerated() {
      let perImage = regressions.count / regressions.shape[0]
      let boxScale = 1 / (4 * normalizer)
      var gradient = [Float](repeating: 0, count: regressions.count)
      regressions.withUnsafeBufferPointer { values in
        for (image, imageLabels) in labels.enumerated() {
          for (index, target) in imageLabels.boxTargets[level].enumerated() where target != 0 {
            let position = image * perImage + index
            let term = huber.valueAndDerivative(error: Double(values[position] - target))
            boxLoss += term.value * boxScale
            gradient[position] = Float(boxLossWeight * term.derivative * boxScale)
          }
        }
      }
      boxGradients.append(Tensor(shape: regressions.shape, values: gradient))
    }
    return DetectionLossResult(
      classLoss: classLoss, boxLoss: boxLoss, total: classLoss + boxLossWeight * boxLoss,
      classGradients: classGradients, boxGradients: boxGradients)
  }
}
