/// The two size caps a decoder checks from an image's header before it allocates pixel memory: pixels
/// (width × height) and decoded bytes (width × height × channels × bytes per sample).
struct DecodeLimits {
  /// The most pixels accepted.
  var pixelCount: Int
  /// The most bytes of decoded samples accepted.
  var byteCount: Int

  /// `width × height × channels × bytesPerSample`, and whether it overflowed `Int`.
  static func byteCount(
    width: Int, height: Int, channels: Int, bytesPerSample: Int
  ) -> (total: Int, overflow: Bool) {
    var total = width
    for factor in [height, channels, bytesPerSample] {
      let (product, overflow) = total.multipliedReportingOverflow(by: factor)
      if overflow { return (Int.max, true) }
      total = product
    }
    return (total, false)
  }

  /// Whether an image of this size fits the pixel cap.
  func allowsPixels(width: Int, height: Int) -> Bool {
    let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
    return !overflow && pixels <= pixelCount
  }

  /// Whether an image of this size and layout fits the byte cap.
  func allowsBytes(width: Int, height: Int, channels: Int, bytesPerSample: Int) -> Bool {
    let (total, overflow) = Self.byteCount(
      width: width, height: height, channels: channels, bytesPerSample: bytesPerSample)
    return !overflow && total <= byteCount
  }
}
