/// Precision and recall over all images, per IoU threshold, category, area range and detection limit:
/// pycocotools' `accumulate`. Settings without a counted object hold -1.
struct COCOAccumulation {
  /// `[threshold][recall threshold][category][area range][limit]`, flattened in that order.
  var precision: [Double]
  /// `[threshold][category][area range][limit]`, flattened in that order.
  var recall: [Double]

  /// The accumulation of `evaluations[category][area range][image]` (nil where an image has neither
  /// objects nor detections of the category).
  init(evaluations: [[[COCOImageEvaluation?]]], parameters: COCOEvaluationParameters) {
    let thresholdCount = parameters.intersectionOverUnionThresholds.count
    let recallCount = parameters.recallThresholds.count
    let categoryCount = evaluations.count
    let areaCount = parameters.areaRanges.count
    let limits = parameters.detectionLimits
    precision = Array(
      repeating: -1, count: thresholdCount * recallCount * categoryCount * areaCount * limits.count)
    recall = Array(repeating: -1, count: thresholdCount * categoryCount * areaCount * limits.count)
    for category in 0..<categoryCount {
      for area in 0..<areaCount {
        let present = evaluations[category][area].compactMap { $0 }
        let counted = present.reduce(0) { $0 + $1.countedObjects }
        guard !present.isEmpty, counted > 0 else { continue }
        for (limitIndex, limit) in limits.enumerated() {
          let setting = (category * areaCount + area) * limits.count + limitIndex
          let curves = Self.curves(present, limit: limit, counted: counted, parameters: parameters)
          for threshold in 0..<thresholdCount {
            recall[threshold * categoryCount * areaCount * limits.count + setting] = curves.recall[threshold]
            for recallIndex in 0..<recallCount {
              let index = (threshold * recallCount + recallIndex) * categoryCount * areaCount * limits.count
              precision[index + setting] = curves.precision[threshold * recallCount + recallIndex]
            }
          }
        }
      }
    }
  }

  /// The final recall per threshold and the precision at each recall threshold
  /// (`[threshold * recallThresholds.count + index]`) of the first `limit` detections of each image.
  static func curves(
    _ evaluations: [COCOImageEvaluation], limit: Int, counted: Int, parameters: COCOEvaluationParameters
  ) -> (recall: [Double], precision: [Double]) {
    // Every image's first `limit` detections, in image order, then by score: highest first, ties in
    // that order (NumPy's stable merge sort of the negated scores).
    var entries: [(evaluation: Int, detection: Int, score: Double)] = []
    for (index, evaluation) in evaluations.enumerated() {
      for detection in 0..<min(limit, evaluation.scores.count) {
        entries.append((index, detection, evaluation.scores[detection]))
      }
    }
    let sorted = entries.indices.sorted {
      entries[$0].score != entries[$1].score ? entries[$0].score > entries[$1].score : $0 < $1
    }.map { entries[$0] }
    let recallThresholds = parameters.recallThresholds
    var recall: [Double] = []
    var precision: [Double] = []
    for threshold in parameters.intersectionOverUnionThresholds.indices {
      var truePositives = 0.0
      var falsePositives = 0.0
      var recalls: [Double] = []
      var precisions: [Double] = []
      for entry in sorted {
        let evaluation = evaluations[entry.evaluation]
        let flat = threshold * evaluation.scores.count + entry.detection
        // Ignored detections keep their place in the curve, counting neither way (as pycocotools).
        if !evaluation.ignored[flat] {
          if evaluation.matchedIdentifiers[flat] != 0 { truePositives += 1 } else { falsePositives += 1 }
        }
        recalls.append(truePositives / Double(counted))
        precisions.append(truePositives / (falsePositives + truePositives + NumPyArithmetic.spacingOfOne))
      }
      recall.append(recalls.last ?? 0)
      // Each precision the best at any recall from there on.
      for index in stride(from: precisions.count - 1, to: 0, by: -1)
      where precisions[index] > precisions[index - 1] {
        precisions[index - 1] = precisions[index]
      }
      // At each recall threshold, the precision where recall first reaches it (np.searchsorted, left).
      var sampled = Array(repeating: 0.0, count: recallThresholds.count)
      var position = 0
      for (index, target) in recallThresholds.enumerated() {
        while position < recalls.count && recalls[position] < target { position += 1 }
        guard position < recalls.count else { break }
        sampled[index] = precisions[position]
      }
      precision += sampled
    }
    return (recall, precision)
  }
}
