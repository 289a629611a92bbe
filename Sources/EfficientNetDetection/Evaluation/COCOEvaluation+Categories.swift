import Foundation

extension COCOEvaluation {
  /// One category's results: AP over IoU 0.50:0.95, at 0.50 and 0.75, and AR, all areas, at the last
  /// detection limit; -1 for a category without counted objects.
  public struct CategoryResult: Equatable, Sendable {
    /// The category.
    public var category: COCOCategory
    /// AP @[ IoU=0.50:0.95 ].
    public var averagePrecision: Double
    /// AP @[ IoU=0.50 ].
    public var averagePrecisionAtHalf: Double
    /// AP @[ IoU=0.75 ].
    public var averagePrecisionAtThreeQuarters: Double
    /// AR @[ IoU=0.50:0.95 ].
    public var averageRecall: Double
  }

  /// The results of each of ``categories``, in that order.
  public var categoryResults: [CategoryResult] {
    let lines = summaryLines
    let recallLine = SummaryLine(
      isPrecision: false, intersectionOverUnion: nil, area: "all", detectionLimit: lines[0].detectionLimit)
    return categories.indices.map { index in
      CategoryResult(
        category: categories[index], averagePrecision: value(of: lines[0], category: index),
        averagePrecisionAtHalf: value(of: lines[1], category: index),
        averagePrecisionAtThreeQuarters: value(of: lines[2], category: index),
        averageRecall: value(of: recallLine, category: index))
    }
  }

  /// ``categoryResults`` as a text table: id, name, AP, AP50, AP75, AR (`-` where there is no value).
  public var categoryTable: String {
    let results = categoryResults
    let nameWidth = max(8, results.map(\.category.name.count).max() ?? 0)
    func cell(_ value: Double) -> String { value < 0 ? "      -" : String(format: "%7.3f", value) }
    let header =
      "     id  " + Self.padded("category", nameWidth, left: true) + "       AP   AP50   AP75     AR"
    let rows = results.map { result in
      String(format: "%7d  ", result.category.identifier)
        + Self.padded(result.category.name, nameWidth, left: true)
        + "  "
        + [
          result.averagePrecision, result.averagePrecisionAtHalf, result.averagePrecisionAtThreeQuarters,
          result.averageRecall,
        ].map(cell).joined()
    }
    return ([header] + rows).joined(separator: "\n")
  }
}
