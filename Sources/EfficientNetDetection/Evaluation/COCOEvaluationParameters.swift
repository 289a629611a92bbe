/// The settings of COCO box evaluation; the defaults are pycocotools' `Params(iouType='bbox')`.
public struct COCOEvaluationParameters: Sendable {
  /// A named range of object areas, both ends included.
  public struct AreaRange: Equatable, Sendable {
    /// The name pycocotools prints: `all`, `small`, `medium`, `large`.
    public var name: String
    /// The smallest area in range.
    public var lower: Double
    /// The largest area in range.
    public var upper: Double

    /// The range `lower...upper` named `name`.
    public init(name: String, lower: Double, upper: Double) {
      self.name = name
      self.lower = lower
      self.upper = upper
    }

    /// Whether `area` is in range.
    public func contains(_ area: Double) -> Bool { !(area < lower || area > upper) }
  }

  /// The IoU thresholds: NumPy's `linspace(0.5, 0.95, 10)`, value for value.
  public var intersectionOverUnionThresholds = NumPyArithmetic.linearlySpaced(from: 0.5, to: 0.95, count: 10)
  /// The recall thresholds: NumPy's `linspace(0, 1, 101)`.
  public var recallThresholds = NumPyArithmetic.linearlySpaced(from: 0, to: 1, count: 101)
  /// The detection limits per image, ascending; the last also cuts each image's detections per category.
  public var detectionLimits = [1, 10, 100]
  /// The area ranges: all, small (up to 32²), medium (32² to 96²), large (96² and up).
  public var areaRanges = [
    AreaRange(name: "all", lower: 0, upper: 1e10), AreaRange(name: "small", lower: 0, upper: 1024),
    AreaRange(name: "medium", lower: 1024, upper: 9216), AreaRange(name: "large", lower: 9216, upper: 1e10),
  ]
  /// Whether a ground-truth `ignore` flag makes the object ignored as `iscrowd` does. pycocotools
  /// reads the flag but then overwrites it with `iscrowd`, so the default, false, matches it.
  public var honorsIgnoreFlag = false

  /// pycocotools' defaults.
  public init() {}
}
