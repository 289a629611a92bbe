/// The matching of one image's detections of one category to its ground truth within one area range:
/// pycocotools' `evaluateImg` for boxes.
struct COCOImageEvaluation {
  /// The detections' scores, highest first (equal scores in input order), at most the last limit.
  var scores: [Double]
  /// `[threshold * scores.count + detection]`: the `id` of the ground truth the detection matched at that
  /// IoU threshold, 0 for none (as in pycocotools, a match to an annotation of `id` 0 reads as none).
  var matchedIdentifiers: [Int]
  /// `[threshold * scores.count + detection]`: the detection counts neither way (it matched an ignored
  /// object, or matched nothing and is outside the area range).
  var ignored: [Bool]
  /// The objects not ignored: those a detection must find.
  var countedObjects: Int

  /// The intersection over union of box `detection` with box `object` (both `[x, y, width, height]`),
  /// as pycocotools' `bbIou`: for a crowd object, the intersection over the detection's own area.
  static func overlap(_ detection: SIMD4<Double>, _ object: SIMD4<Double>, crowd: Bool) -> Double {
    let width = min(detection[2] + detection[0], object[2] + object[0]) - max(detection[0], object[0])
    guard width > 0 else { return 0 }
    let height = min(detection[3] + detection[1], object[3] + object[1]) - max(detection[1], object[1])
    guard height > 0 else { return 0 }
    let intersection = width * height
    let detectionArea = detection[2] * detection[3]
    let union = crowd ? detectionArea : detectionArea + object[2] * object[3] - intersection
    return intersection / union
  }

  /// The evaluation of `detections` (sorted by score, cut to the limit) against `objects`, whose
  /// overlaps are `overlaps[detection * objects.count + object]`; nil when both are empty.
  init?(
    objects: [COCOAnnotation], detections: [COCODetectionRecord], overlaps: [Double],
    range: COCOEvaluationParameters.AreaRange, parameters: COCOEvaluationParameters
  ) {
    if objects.isEmpty && detections.isEmpty { return nil }
    let objectIgnored = objects.map {
      $0.isCrowd || (parameters.honorsIgnoreFlag && $0.isIgnored) || !range.contains($0.area)
    }
    // Objects not ignored first, each group in input order.
    let order = objects.indices.sorted {
      objectIgnored[$0] != objectIgnored[$1] ? !objectIgnored[$0] : $0 < $1
    }
    let thresholds = parameters.intersectionOverUnionThresholds
    let count = detections.count
    scores = detections.map(\.score)
    matchedIdentifiers = Array(repeating: 0, count: thresholds.count * count)
    ignored = Array(repeating: false, count: thresholds.count * count)
    countedObjects = objectIgnored.filter { !$0 }.count
    for (thresholdIndex, threshold) in thresholds.enumerated() {
      var objectTaken = Array(repeating: false, count: objects.count)
      for detection in 0..<count {
        var best = min(threshold, 1 - 1e-10)
        var match = -1
        for (position, object) in order.enumerated() {
          if objectTaken[position] && !objects[object].isCrowd { continue }
          // Once matched to a counted object, ignored ones (all after it) cannot take the match.
          if match > -1 && !objectIgnored[order[match]] && objectIgnored[object] { break }
          let overlap = overlaps[detection * objects.count + object]
          if overlap < best { continue }
          best = overlap
          match = position
        }
        guard match > -1 else { continue }
        let object = order[match]
        ignored[thresholdIndex * count + detection] = objectIgnored[object]
        matchedIdentifiers[thresholdIndex * count + detection] = objects[object].identifier
        objectTaken[match] = true
      }
    }
    for detection in 0..<count
    where !range.contains(detections[detection].box[2] * detections[detection].box[3]) {
      for thresholdIndex in thresholds.indices
      where matchedIdentifiers[thresholdIndex * count + detection] == 0 {
        ignored[thresholdIndex * count + detection] = true
      }
    }
  }
}
