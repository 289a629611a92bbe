import EfficientNetImageIO

/// Resampling helpers for heat maps, `[H, W]` row-major.
public enum HeatMapResampling {
  /// Shifts values so the minimum is 0, then scales so the maximum is 1 (all zeros when they are equal),
  /// as pytorch-grad-cam's `scale_cam_image` does.
  public static func normalized(_ values: [Float]) -> [Float] {
    guard let low = values.min(), let high = values.max(), high > low else {
      return [Float](repeating: 0, count: values.count)
    }
    return values.map { ($0 - low) / (high - low) }
  }

  /// Bilinear resampling with half-pixel centers, as PyTorch's
  /// `interpolate(mode="bilinear", align_corners=False)` (and OpenCV's `INTER_LINEAR`) upsample.
  ///
  /// - Parameters:
  ///   - values: `[height, width]`.
  ///   - height: At least 1.
  ///   - width: At least 1.
  ///   - toHeight: The output height, at least 1.
  ///   - toWidth: The output width, at least 1.
  /// - Returns: `[toHeight, toWidth]`.
  public static func bilinear(
    _ values: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int
  ) -> [Float] {
    precondition(height >= 1 && width >= 1 && toHeight >= 1 && toWidth >= 1, "sizes must be positive")
    precondition(values.count == height * width, "values must be [\(height), \(width)]")
    let rows = (0..<toHeight).map { sourceIndex(of: $0, from: toHeight, to: height) }
    let columns = (0..<toWidth).map { sourceIndex(of: $0, from: toWidth, to: width) }
    var result = [Float](repeating: 0, count: toHeight * toWidth)
    for (y, row) in rows.enumerated() {
      for (x, column) in columns.enumerated() {
        let top =
          values[row.low * width + column.low] * (1 - column.fraction)
          + values[row.low * width + column.high] * column.fraction
        let bottom =
          values[row.high * width + column.low] * (1 - column.fraction)
          + values[row.high * width + column.high] * column.fraction
        result[y * toWidth + x] = top * (1 - row.fraction) + bottom * row.fraction
      }
    }
    return result
  }

  /// The two source samples around output sample `index` and the weight of the second, PyTorch's way:
  /// `source = (index + 0.5) · size / outputSize − 0.5`, clamped below at 0.
  static func sourceIndex(
    of index: Int, from outputSize: Int, to size: Int
  ) -> (low: Int, high: Int, fraction: Float) {
    let scale = Float(size) / Float(outputSize)
    let source = max((Float(index) + 0.5) * scale - 0.5, 0)
    let low = min(Int(source), size - 1)
    let high = min(low + 1, size - 1)
    return (low, high, source - Float(low))
  }
}

/// A heat map laid over the original image: values in [0, 1] per original pixel, zero outside the
/// region that the model's center crop saw.
public struct ImageHeatMap: Sendable, Equatable {
  /// The original image's width.
  public var width: Int
  /// The original image's height.
  public var height: Int
  /// `[height, width]`, in [0, 1]; 0 outside ``coveredColumns`` × ``coveredRows``.
  public var values: [Float]
  /// The original columns whose centers fall inside the crop.
  public var coveredColumns: Range<Int>
  /// The original rows whose centers fall inside the crop.
  public var coveredRows: Range<Int>

  /// Creates a heat map from its parts.
  ///
  /// - Parameters: as the properties; `values` is `[height, width]`.
  public init(width: Int, height: Int, values: [Float], coveredColumns: Range<Int>, coveredRows: Range<Int>) {
    precondition(values.count == width * height, "values must be [height, width]")
    self.width = width
    self.height = height
    self.values = values
    self.coveredColumns = coveredColumns
    self.coveredRows = coveredRows
  }

  /// Whether the model saw the pixel at `(x, y)`.
  public func covers(x: Int, y: Int) -> Bool { coveredColumns.contains(x) && coveredRows.contains(y) }
}

extension ClassActivationMap {
  /// Maps the heat map back onto the original image by undoing the evaluation transform: the
  /// shorter-side resize and the center crop (torchvision's offsets; the padding when the crop is larger).
  ///
  /// Each original pixel's center is carried into crop coordinates and the heat map sampled there
  /// bilinearly; pixels outside the crop get 0 and are left out of the covered ranges.
  ///
  /// - Parameters:
  ///   - imageWidth: The original width, at least 1.
  ///   - imageHeight: The original height, at least 1.
  ///   - preprocessing: The transform that made the input; its resolution must equal the heat map's size.
  public func projected(
    imageWidth: Int, imageHeight: Int, preprocessing: PreprocessingConfiguration
  ) -> ImageHeatMap {
    precondition(imageWidth >= 1 && imageHeight >= 1, "image size must be positive")
    precondition(
      width == preprocessing.resolution && height == preprocessing.resolution,
      "the heat map is \(height)×\(width); the preprocessing crops \(preprocessing.resolution)")
    let resized = Preprocessor.resizedSize(
      width: imageWidth, height: imageHeight, shorterSide: preprocessing.resizeSize)
    let columns = CropAxis(original: imageWidth, resized: resized.width, crop: width)
    let rows = CropAxis(original: imageHeight, resized: resized.height, crop: height)
    var values = [Float](repeating: 0, count: imageWidth * imageHeight)
    for y in rows.covered {
      let row = HeatMapResampling.sourceIndexClamped(rows.cropCoordinate(of: y), size: height)
      for x in columns.covered {
        let column = HeatMapResampling.sourceIndexClamped(columns.cropCoordinate(of: x), size: width)
        let top =
          heatMap[row.low * width + column.low] * (1 - column.fraction)
          + heatMap[row.low * width + column.high] * column.fraction
        let bottom =
          heatMap[row.high * width + column.low] * (1 - column.fraction)
          + heatMap[row.high * width + column.high] * column.fraction
        values[y * imageWidth + x] = top * (1 - row.fraction) + bottom * row.fraction
      }
    }
    return ImageHeatMap(
      width: imageWidth, height: imageHeight, values: values, coveredColumns: columns.covered,
      coveredRows: rows.covered)
  }
}

extension HeatMapResampling {
  /// The samples around a continuous coordinate (pixel centers at integers), clamped to `0...size-1`.
  static func sourceIndexClamped(_ coordinate: Double, size: Int) -> (low: Int, high: Int, fraction: Float) {
    let clamped = min(max(coordinate, 0), Double(size - 1))
    let low = Int(clamped)
    let high = min(low + 1, size - 1)
    return (low, high, Float(clamped - Double(low)))
  }
}

/// One axis of the evaluation transform: original pixels → resized pixels → crop pixels.
private struct CropAxis {
  let scale: Double
  /// The crop coordinate of resized coordinate 0.
  let offset: Double
  let covered: Range<Int>

  init(original: Int, resized: Int, crop: Int) {
    scale = Double(resized) / Double(original)
    // torchvision's CenterCrop: pad (crop − length) / 2 before when larger, else start at the rounded
    // (half to even) center offset.
    let start: Int
    let count: Int
    let padding: Int
    if crop > resized {
      (start, count, padding) = (0, resized, (crop - resized) / 2)
    } else {
      (start, count, padding) = (Int((Double(resized - crop) / 2).rounded(.toNearestOrEven)), crop, 0)
    }
    offset = Double(padding - start)
    // Pixel u is covered when its center, (u + 0.5) · scale in resized edges, lies in [start, start + count).
    let first = Int((Double(start) / scale - 0.5).rounded(.up))
    let last = Int((Double(start + count) / scale - 0.5).rounded(.up))
    covered = max(0, first)..<min(original, max(last, max(0, first)))
  }

  /// The crop coordinate (pixel centers at integers) of original pixel `index`'s center.
  func cropCoordinate(of index: Int) -> Double { (Double(index) + 0.5) * scale - 0.5 + offset }
}
