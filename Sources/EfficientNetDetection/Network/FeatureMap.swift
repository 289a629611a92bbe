import EfficientNetCore

/// A feature map of a pass (inference or training): NHWC values and their size.
struct FeatureMap {
  let values: FloatBuffer
  let height: Int, width: Int, channels: Int

  /// Values per image times the batch.
  func count(batch: Int) -> Int { batch * height * width * channels }
}
