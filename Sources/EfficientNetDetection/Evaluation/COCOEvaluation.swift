/// COCO box evaluation, equal to pycocotools' `COCOeval(iouType='bbox')`: `evaluate`, `accumulate` and
/// the twelve summary numbers (``statistics``), with a per-category table and pycocotools' printout.
///
/// Only the ground truth's images and categories are evaluated: detections of other images or
/// categories are left out (pycocotools refuses the first and drops the second). Detections are taken
/// in their given order, which decides ties of equal scores as pycocotools' result ids do.
public struct COCOEvaluation: Sendable {
  /// The settings.
  public let parameters: COCOEvaluationParameters
  /// The categories evaluated: the ground truth's, by ascending `id`.
  public let categories: [COCOCategory]
  /// The images evaluated, by ascending `id`.
  public let imageIdentifiers: [Int]
  /// Precision and recall per setting.
  let accumulation: COCOAccumulation

  /// The evaluation of `detections` against the ground truth `groundTruth`.
  public init(
    groundTruth: COCODataset, detections: [COCODetectionRecord],
    parameters: COCOEvaluationParameters = COCOEvaluationParameters()
  ) {
    self.parameters = parameters
    var categoriesByIdentifier: [Int: COCOCategory] = [:]
    for category in groundTruth.categories where categoriesByIdentifier[category.identifier] == nil {
      categoriesByIdentifier[category.identifier] = category
    }
    let categories = categoriesByIdentifier.values.sorted { $0.identifier < $1.identifier }
    let imageIdentifiers = Array(Set(groundTruth.images.map(\.identifier))).sorted()
    self.categories = categories
    self.imageIdentifiers = imageIdentifiers
    let images = Set(imageIdentifiers)
    var objects: [Key: [COCOAnnotation]] = [:]
    for annotation in groundTruth.annotations
    where images.contains(annotation.imageIdentifier)
      && categoriesByIdentifier[annotation.categoryIdentifier] != nil
    {
      objects[Key(annotation.imageIdentifier, annotation.categoryIdentifier), default: []].append(annotation)
    }
    var found: [Key: [COCODetectionRecord]] = [:]
    for detection in detections
    where images.contains(detection.imageIdentifier)
      && categoriesByIdentifier[detection.categoryIdentifier] != nil
    {
      found[Key(detection.imageIdentifier, detection.categoryIdentifier), default: []].append(detection)
    }
    let limit = parameters.detectionLimits.max() ?? 0
    let evaluations = categories.map { category in
      let pairs = imageIdentifiers.map {
        image -> (objects: [COCOAnnotation], detections: [COCODetectionRecord]) in
        let key = Key(image, category.identifier)
        return (objects[key] ?? [], Self.bestFirst(found[key] ?? [], limit: limit))
      }
      let overlaps = pairs.map { pair in
        pair.detections.flatMap { detection in
          pair.objects.map { COCOImageEvaluation.overlap(detection.box, $0.box, crowd: $0.isCrowd) }
        }
      }
      return parameters.areaRanges.map { range in
        pairs.indices.map { image in
          COCOImageEvaluation(
            objects: pairs[image].objects, detections: pairs[image].detections, overlaps: overlaps[image],
            range: range, parameters: parameters)
        }
      }
    }
    accumulation = COCOAccumulation(evaluations: evaluations, parameters: parameters)
  }

  /// An (image, category) pair.
  struct Key: Hashable {
    let image: Int
    let category: Int
    init(_ image: Int, _ category: Int) {
      self.image = image
      self.category = category
    }
  }

  /// `detections` by descending score, equal scores in their given order, the first `limit`.
  static func bestFirst(_ detections: [COCODetectionRecord], limit: Int) -> [COCODetectionRecord] {
    let order = detections.indices.sorted {
      detections[$0].score != detections[$1].score ? detections[$0].score > detections[$1].score : $0 < $1
    }
    return order.prefix(limit).map { detections[$0] }
  }

  /// The precision at IoU threshold `threshold`, recall threshold `recall`, category `category`, area
  /// range `area` and detection limit `limit` (all indices into ``parameters``'s lists and
  /// ``categories``); -1 where the setting has no counted object.
  public func precision(threshold: Int, recall: Int, category: Int, area: Int, limit: Int) -> Double {
    let inner = (category * parameters.areaRanges.count + area) * parameters.detectionLimits.count + limit
    let settings = categories.count * parameters.areaRanges.count * parameters.detectionLimits.count
    return accumulation.precision[(threshold * parameters.recallThresholds.count + recall) * settings + inner]
  }

  /// The final recall at IoU threshold `threshold`, category `category`, area range `area` and detection
  /// limit `limit` (indices as ``precision(threshold:recall:category:area:limit:)``); -1 where the
  /// setting has no counted object.
  public func recall(threshold: Int, category: Int, area: Int, limit: Int) -> Double {
    let inner = (category * parameters.areaRanges.count + area) * parameters.detectionLimits.count + limit
    let settings = categories.count * parameters.areaRanges.count * parameters.detectionLimits.count
    return accumulation.recall[threshold * settings + inner]
  }
}
