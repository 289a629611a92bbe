import CImageCodecs

/// Runs the C shims over libjpeg and libpng: header, size check, one allocation, decode into it.
enum NativeCodecs {
  /// Decodes a whole JPEG or PNG file held in `bytes`.
  /// - Throws: `ImageDecodingError` naming `source` when the data is truncated, corrupt, unsupported or
  ///   too large.
  /// - Parameter limits: The pixel and decoded-byte caps, checked from the header before allocating.
  /// - Parameter grayAsRGB: Ask libjpeg to expand grayscale JPEGs to RGB while decoding (no effect on PNG).
  static func decode(
    _ bytes: UnsafeBufferPointer<UInt8>, format: ImageFileFormat, source: String, limits: DecodeLimits,
    grayAsRGB: Bool
  ) throws -> DecodedImage {
    guard let base = bytes.baseAddress else { throw ImageDecodingError.emptyFile(source: source) }
    switch format {
    case .jpeg:
      guard let decoder = ic_jpeg_create() else {
        throw ImageDecodingError.outOfMemory(source: source, format: format, detail: "creating a decoder")
      }
      defer { ic_jpeg_destroy(decoder) }
      // Coefficient buffers take 2 bytes a sample (before chroma subsampling); allow them and slack.
      let (twice, overflow) = limits.byteCount.multipliedReportingOverflow(by: 2)
      ic_jpeg_set_memory_limit(decoder, overflow ? Int.max : twice + (16 << 20))
      let calls = CodecCalls(
        readHeader: { info in ic_jpeg_read_header(decoder, base, bytes.count, grayAsRGB ? 1 : 0, info) },
        decode: { pixels, stride in ic_jpeg_decode(decoder, pixels, stride) },
        message: { String(cString: ic_jpeg_message(decoder)) })
      return try run(calls, format: format, source: source, limits: limits)
    case .png:
      guard let decoder = ic_png_create() else {
        throw ImageDecodingError.outOfMemory(source: source, format: format, detail: "creating a decoder")
      }
      defer { ic_png_destroy(decoder) }
      let calls = CodecCalls(
        readHeader: { info in ic_png_read_header(decoder, base, bytes.count, info) },
        decode: { pixels, stride in ic_png_decode(decoder, pixels, stride) },
        message: { String(cString: ic_png_message(decoder)) })
      return try run(calls, format: format, source: source, limits: limits)
    }
  }

  /// The three calls every codec offers, bound to one decoder instance.
  private struct CodecCalls {
    var readHeader: (UnsafeMutablePointer<ic_image_info>) -> ic_status
    var decode: (UnsafeMutableRawPointer, Int) -> ic_status
    var message: () -> String
  }

  private static func run(
    _ calls: CodecCalls, format: ImageFileFormat, source: String, limits: DecodeLimits
  ) throws -> DecodedImage {
    var info = ic_image_info()
    try check(calls.readHeader(&info), calls, format: format, source: source)
    let width = Int(info.width)
    let height = Int(info.height)
    let channels = Int(info.channels)
    let bitDepth = Int(info.bit_depth)
    guard width > 0, height > 0, (1...4).contains(channels), bitDepth == 8 || bitDepth == 16 else {
      throw ImageDecodingError.corrupt(
        source: source, format: format,
        detail: "invalid header: \(width) × \(height) pixels, \(channels) channels, \(bitDepth) bits")
    }
    guard limits.allowsPixels(width: width, height: height) else {
      throw ImageDecodingError.tooLarge(
        source: source, width: width, height: height, maximumPixelCount: limits.pixelCount)
    }
    guard limits.allowsBytes(width: width, height: height, channels: channels, bytesPerSample: bitDepth / 8)
    else {
      throw ImageDecodingError.tooManyBytes(
        source: source, width: width, height: height, channels: channels, bytesPerSample: bitDepth / 8,
        maximumByteCount: limits.byteCount)
    }
    let sampleCount = width * height * channels
    if bitDepth == 8 {
      let samples = try [UInt8](unsafeUninitializedCapacity: sampleCount) { buffer, initializedCount in
        guard let pixels = buffer.baseAddress else { return }
        try check(calls.decode(pixels, width * channels), calls, format: format, source: source)
        initializedCount = sampleCount
      }
      return DecodedImage(width: width, height: height, channels: channels, samples8: samples)
    } else {
      let samples = try [UInt16](unsafeUninitializedCapacity: sampleCount) { buffer, initializedCount in
        guard let pixels = buffer.baseAddress else { return }
        try check(calls.decode(pixels, width * channels * 2), calls, format: format, source: source)
        initializedCount = sampleCount
      }
      return DecodedImage(width: width, height: height, channels: channels, samples16: samples)
    }
  }

  private static func check(
    _ status: ic_status, _ calls: CodecCalls, format: ImageFileFormat, source: String
  ) throws {
    if status == IC_STATUS_OK { return }
    let detail = calls.message()
    switch status {
    case IC_STATUS_TRUNCATED:
      throw ImageDecodingError.truncated(source: source, format: format, detail: detail)
    case IC_STATUS_UNSUPPORTED:
      throw ImageDecodingError.unsupportedFeature(source: source, format: format, detail: detail)
    case IC_STATUS_OUT_OF_MEMORY:
      throw ImageDecodingError.outOfMemory(source: source, format: format, detail: detail)
    case IC_STATUS_MISUSE:
      preconditionFailure("CImageCodecs used out of order: \(detail)")
    default:
      throw ImageDecodingError.corrupt(source: source, format: format, detail: detail)
    }
  }
}
