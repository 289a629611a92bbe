import CImageCodecs
import EfficientNetFiles
import Foundation

/// The sample layout `ImageDecoder` returns.
public enum DecodedPixelFormat: Sendable, Equatable {
  /// The file's own channels and bit depth: gray stays 1 channel, alpha is kept, 16-bit PNGs stay 16-bit.
  case native
  /// 8-bit RGB, exactly `native` followed by `DecodedImage.convertedToRGB8()` (Pillow's
  /// `convert("RGB")`, so 16-bit gray is clamped at 255 as Pillow does), but grayscale JPEGs are
  /// expanded by libjpeg while decoding, saving a pass.
  case rgb8
}

/// Decodes JPEG and PNG files into `DecodedImage`s, with every failure a thrown `ImageDecodingError` that
/// names the file.
///
/// JPEG: baseline and progressive, any chroma subsampling, grayscale, restart markers, CMYK / YCCK
/// (converted to RGB with Pillow's formula; samples are taken as inverted when an Adobe APP14 marker is
/// present, as Adobe software writes them; Pillow assumes inverted even without the marker, a rare case
/// where we differ). Pixels equal Pillow's (accurate integer IDCT, fancy upsampling, as Pillow uses).
/// PNG: 1 to 16 bits, gray, gray + alpha, RGB, RGBA, palette (with or without transparency), interlaced;
/// gamma and colour profiles are not applied (nor does Pillow). The EXIF orientation (JPEG APP1, PNG
/// eXIf) is applied unless asked not to. Decoders are independent: decode from many threads at once.
public enum ImageDecoder {
  /// The default cap on width × height, 2^28 (268,435,456) pixels, checked before any pixel memory is
  /// allocated.
  public static let defaultMaximumPixelCount = 1 << 28

  /// The default cap on the decoded size, width × height × channels × bytes per sample: 512 MiB,
  /// checked from the header before any pixel memory is allocated (a small 16-bit PNG can declare
  /// gigabytes of samples within the pixel limit).
  public static let defaultMaximumDecodedByteCount = 512 << 20

  /// The largest image file read from disk, 1 GiB: a longer file is refused before it is read.
  public static let maximumFileByteCount = 1 << 30

  /// The libjpeg-turbo and libpng versions the decoder is built with, e.g. "libjpeg-turbo 2.1.5, libpng
  /// 1.6.39".
  public static var libraryVersions: String {
    "libjpeg-turbo \(String(cString: ic_jpeg_library_version())), "
      + "libpng \(String(cString: ic_png_library_version()))"
  }

  /// Reads and decodes an image file.
  /// - Parameters:
  ///   - url: A file URL of a JPEG or PNG file (the format is found from its first bytes, not its name);
  ///     other URLs are refused, never fetched.
  ///   - pixelFormat: The file's own layout (default) or 8-bit RGB.
  ///   - applyOrientation: Whether to apply the EXIF orientation tag. Pillow's `Image.open` does not, so
  ///     pass false for pixel parity with Pillow-based pipelines on tagged files.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  /// - Returns: The decoded image, `[H, W, C]`, upright when `applyOrientation` is true.
  /// - Throws: `ImageDecodingError` naming the file's path: unreadable, empty, not JPEG/PNG, truncated,
  ///   corrupt, unsupported feature or too large.
  public static func decode(
    contentsOf url: URL, pixelFormat: DecodedPixelFormat = .native, applyOrientation: Bool = true,
    maximumPixelCount: Int = defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = defaultMaximumDecodedByteCount
  ) throws -> DecodedImage {
    let source = url.isFileURL ? url.path : url.absoluteString
    guard url.isFileURL else {
      throw ImageDecodingError.unreadableFile(source: source, reason: "not a file URL")
    }
    let data: Data
    do {
      data = try RegularFile.contents(of: url, maximumByteCount: maximumFileByteCount)
    } catch {
      throw ImageDecodingError.unreadableFile(source: source, reason: error.reason)
    }
    return try decode(
      data: data, source: source, pixelFormat: pixelFormat, applyOrientation: applyOrientation,
      maximumPixelCount: maximumPixelCount, maximumDecodedByteCount: maximumDecodedByteCount)
  }

  /// Decodes an image held in memory.
  /// - Parameters:
  ///   - data: The whole file: JPEG (starts FF D8 FF) or PNG (starts 89 50 4E 47).
  ///   - source: The name used in error messages, usually the file's path.
  ///   - pixelFormat: The file's own layout (default) or 8-bit RGB.
  ///   - applyOrientation: Whether to apply the EXIF orientation tag (see `decode(contentsOf:)`).
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  ///   A DICOM file (Part 10, or a bare data set) is decoded too: rescaled and windowed to 8 bits with
  ///   the file's window (see ``MedicalImageReader``).
  /// - Returns: The decoded image, `[H, W, C]`.
  /// - Throws: `ImageDecodingError` (or `MedicalImageError` for DICOM) naming `source`.
  public static func decode(
    data: Data, source: String, pixelFormat: DecodedPixelFormat = .native, applyOrientation: Bool = true,
    maximumPixelCount: Int = defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = defaultMaximumDecodedByteCount
  ) throws -> DecodedImage {
    guard !data.isEmpty else { throw ImageDecodingError.emptyFile(source: source) }
    if format(of: data) == nil && MedicalImageReader.isDICOM(data) {
      // DICOM: rescaled, windowed with the file's window (else min–max), 8-bit.
      let windowed = try MedicalImageReader.sourceImage(
        data: data, source: source, maximumPixelCount: maximumPixelCount,
        maximumDecodedByteCount: maximumDecodedByteCount)
      let image = DecodedImage(
        width: windowed.width, height: windowed.height, channels: windowed.channels, samples8: windowed.pixels
      )
      return pixelFormat == .rgb8 ? image.convertedToRGB8() : image
    }
    guard let format = format(of: data) else {
      throw FormatGuess.unsupportedFormatError(data, source: source)
    }
    return try data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      var image = try NativeCodecs.decode(
        bytes, format: format, source: source,
        limits: DecodeLimits(pixelCount: maximumPixelCount, byteCount: maximumDecodedByteCount),
        grayAsRGB: pixelFormat == .rgb8)
      if pixelFormat == .rgb8 { image = image.convertedToRGB8() }
      guard applyOrientation,
        let orientation = ExifOrientationReader.orientation(in: raw, format: format)
      else { return image }
      return image.applyingOrientation(orientation)
    }
  }

  /// The format of an encoded image, from its magic bytes: JPEG (FF D8 FF) or PNG (89 50 4E 47); nil for
  /// anything else.
  public static func format(of data: Data) -> ImageFileFormat? {
    if data.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
    return nil
  }

  /// The EXIF orientation stored in a JPEG or PNG file, `.identity` when there is none or it is
  /// malformed.
  /// - Parameter data: The whole file.
  public static func orientation(of data: Data) -> ExifOrientation {
    guard let format = format(of: data) else { return .identity }
    return data.withUnsafeBytes { raw in
      ExifOrientationReader.orientation(in: raw, format: format) ?? .identity
    }
  }
}
