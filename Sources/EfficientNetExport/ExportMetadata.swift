import EfficientNetImageIO
import Foundation

/// The `metadata_props` an exported model carries so a consumer can prepare its input without
/// knowing the model: input size, resize-and-crop, interpolation, mean and standard deviation.
enum ExportMetadata {
  /// The preprocessing entries: `input_size` (`HxW` or `dynamic`), `resize_shorter_side` (the shorter
  /// side before the center crop), `crop_fraction`, `interpolation` (`bicubic` or `bilinear`,
  /// Pillow's), `mean` and `std` (JSON arrays over channels, for values in [0, 1]), and
  /// `pixel_scale` (`1/255`).
  static func preprocessing(_ preprocessing: PreprocessingConfiguration, size: (height: Int, width: Int)?)
    -> [String: String]
  {
    [
      "input_size": size.map { "\($0.height)x\($0.width)" } ?? "dynamic",
      "resolution": String(preprocessing.resolution),
      "resize_shorter_side": String(
        Int((Double(preprocessing.resolution) / preprocessing.cropFraction).rounded(.down))),
      "crop_fraction": String(preprocessing.cropFraction),
      "interpolation": "\(preprocessing.interpolation)",
      "mean": json(preprocessing.mean.map(decimal)),
      "std": json(preprocessing.standardDeviation.map(decimal)),
      "pixel_scale": "1/255",
    ]
  }

  /// A float as the double its shortest decimal text names (0.485, not 0.48500001430511475).
  static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

  /// `value` as compact JSON.
  static func json<Value: Encodable>(_ value: Value) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
  }
}
