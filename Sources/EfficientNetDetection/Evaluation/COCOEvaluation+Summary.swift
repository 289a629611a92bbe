import Foundation

extension COCOEvaluation {
  /// One line of pycocotools' summary: a mean precision or recall over a setting.
  public struct SummaryLine: Equatable, Sendable {
    /// Average precision (true) or average recall (false).
    public var isPrecision: Bool
    /// The one IoU threshold, or nil for the mean over all of them.
    public var intersectionOverUnion: Double?
    /// The area range's name.
    public var area: String
    /// The detection limit per image.
    public var detectionLimit: Int

    /// The line of the given setting.
    public init(isPrecision: Bool, intersectionOverUnion: Double?, area: String, detectionLimit: Int) {
      self.isPrecision = isPrecision
      self.intersectionOverUnion = intersectionOverUnion
      self.area = area
      self.detectionLimit = detectionLimit
    }
  }

  /// The twelve settings of pycocotools' `stats`, in its order: AP, AP50, AP75, AP small, medium,
  /// large (at the last limit), AR at each of the three limits, AR small, medium, large.
  public var summaryLines: [SummaryLine] {
    let limits = parameters.detectionLimits
    let last = limits.count > 2 ? limits[2] : (limits.last ?? 0)
    let areas = ["small", "medium", "large"]
    let precisions =
      [nil, 0.5, 0.75].map {
        SummaryLine(isPrecision: true, intersectionOverUnion: $0, area: "all", detectionLimit: last)
      }
      + areas.map {
        SummaryLine(isPrecision: true, intersectionOverUnion: nil, area: $0, detectionLimit: last)
      }
    let recalls =
      limits.prefix(3).map {
        SummaryLine(isPrecision: false, intersectionOverUnion: nil, area: "all", detectionLimit: $0)
      }
      + areas.map {
        SummaryLine(isPrecision: false, intersectionOverUnion: nil, area: $0, detectionLimit: last)
      }
    return precisions + recalls
  }

  /// pycocotools' `stats`: the value of each of ``summaryLines``.
  public var statistics: [Double] { summaryLines.map { value(of: $0) } }

  /// The mean over the categories with counted objects (and over recall thresholds, for precision) of
  /// `line`'s setting, -1 when no category has any; restricted to `category` (an index into
  /// ``categories``) when given.
  public func value(of line: SummaryLine, category: Int? = nil) -> Double {
    let thresholds = parameters.intersectionOverUnionThresholds.indices.filter {
      line.intersectionOverUnion == nil
        || parameters.intersectionOverUnionThresholds[$0] == line.intersectionOverUnion
    }
    let areas = parameters.areaRanges.indices.filter { parameters.areaRanges[$0].name == line.area }
    let limits = parameters.detectionLimits.indices.filter {
      parameters.detectionLimits[$0] == line.detectionLimit
    }
    let chosen = category.map { [$0] } ?? Array(categories.indices)
    var values: [Double] = []
    // NumPy's order: threshold, recall threshold, category, area, limit.
    for threshold in thresholds {
      for recallIndex in (line.isPrecision ? Array(parameters.recallThresholds.indices) : [0]) {
        for category in chosen {
          for area in areas {
            for limit in limits {
              values.append(
                line.isPrecision
                  ? precision(
                    threshold: threshold, recall: recallIndex, category: category, area: area, limit: limit)
                  : recall(threshold: threshold, category: category, area: area, limit: limit))
            }
          }
        }
      }
    }
    return NumPyArithmetic.meanOfPresent(values)
  }

  /// pycocotools' printout of ``statistics``, one line each:
  /// ` Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.xxx`.
  public var summary: String {
    let thresholds = parameters.intersectionOverUnionThresholds
    let span = String(format: "%0.2f:%0.2f", thresholds.first ?? 0, thresholds.last ?? 0)
    return zip(summaryLines, statistics).map { line, value in
      let title = line.isPrecision ? "Average Precision" : "Average Recall"
      let kind = line.isPrecision ? "(AP)" : "(AR)"
      let threshold = line.intersectionOverUnion.map { String(format: "%0.2f", $0) } ?? span
      return " " + Self.padded(title, 18, left: true) + " " + kind + " @[ IoU="
        + Self.padded(threshold, 9, left: true)
        + " | area=" + Self.padded(line.area, 6, left: false) + " | maxDets="
        + Self.padded(String(line.detectionLimit), 3, left: false) + " ] = " + String(format: "%0.3f", value)
    }.joined(separator: "\n")
  }

  /// `text` padded with spaces to `width`, on the right (`left` aligned) or on the left.
  static func padded(_ text: String, _ width: Int, left: Bool) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + padding : padding + text
  }
}
