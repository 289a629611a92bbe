import EfficientNetFiles
import Foundation

/// The samples of a grayscale PNG or JPEG at full precision: 16-bit files keep all 16 bits, 8-bit files
/// are promoted to `UInt16` with their values unchanged (0...255).
public struct GrayscaleSamples: Sendable, Equatable {
  /// Pixels per row (W).
  public var width: Int
  /// Rows (H).
  public var height: Int
  /// The file's bits per sample, 8 or 16: the values lie in `0...(1 << bitDepth) - 1`.
  public var bitDepth: Int
  /// `[H, W]` samples as stored in the file.
  public var samples: [UInt16]

  /// The samples as Float, same values (every UInt16 is exact in Float), `[H, W]`.
  public var floatSamples: [Float] { samples.map { Float($0) } }
}

/// Reads medical images (DICOM, and 8- or 16-bit PNG / JPEG) at full precision and windows them into
/// 8-bit images for `Preprocessor`.
///
/// For `ImageDecoder` to dispatch here: call `MedicalImageReader.isMedicalImage(url:data:)` before its
/// JPEG/PNG magic-byte check; when true, `sourceImage(data:source:window:)` gives the 8-bit image
/// (`Preprocessor.SourceImage`, 1 channel for monochrome, 3 for colour).
public enum MedicalImageReader {
  /// File name extensions taken as DICOM (compared case-insensitively).
  public static let dicomExtensions: Set<String> = ["dcm", "dicom", "dic"]

  /// Whether `data` is DICOM: "DICM" at byte 128, or a data set without preamble (starting with a
  /// group 0002 element with an explicit VR, or a group 0008 element).
  /// - Parameter data: The file's bytes (the first 132 suffice).
  public static func isDICOM(_ data: Data) -> Bool {
    DICOMParser.layout(of: [UInt8](data.prefix(132))) != nil
  }

  /// Whether a file should be read as DICOM: its bytes say so (`isDICOM`), or its extension is one of
  /// `dicomExtensions` (then a file that is not DICOM gets a DICOM error naming it, not a JPEG/PNG one).
  /// - Parameters:
  ///   - url: The file's URL (only its extension is used).
  ///   - data: The file's bytes.
  public static func isMedicalImage(url: URL, data: Data) -> Bool {
    isDICOM(data) || dicomExtensions.contains(url.pathExtension.lowercased())
  }

  /// Reads a DICOM, PNG or JPEG file into a full-precision `MedicalImage`.
  ///
  /// DICOM: first frame, rescaled, with its window and MONOCHROME1 inversion (see `DICOMImage`). PNG and
  /// JPEG: gray (alpha dropped) or RGB (alpha dropped), samples as stored; `.automatic` windows 8-bit
  /// files over their nominal range (pixels unchanged) and 16-bit files over their minimum–maximum.
  /// - Parameters:
  ///   - url: A file URL; DICOM is recognised by `isMedicalImage(url:data:)`.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  /// - Throws: `MedicalImageError` for DICOM files and unreadable files, `ImageDecodingError` for PNG and
  ///   JPEG files; both name the file.
  public static func read(
    contentsOf url: URL, maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws -> MedicalImage {
    let (data, source) = try contents(of: url)
    return try read(
      data: data, source: source, url: url, maximumPixelCount: maximumPixelCount,
      maximumDecodedByteCount: maximumDecodedByteCount)
  }

  /// Reads an image held in memory (see `read(contentsOf:maximumPixelCount:)`).
  /// - Parameters:
  ///   - data: The whole file.
  ///   - source: The name used in error messages.
  ///   - url: The file's URL, whose extension can mark DICOM; nil to decide from the bytes alone.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  /// - Throws: `MedicalImageError` or `ImageDecodingError` naming `source`.
  public static func read(
    data: Data, source: String, url: URL? = nil,
    maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws -> MedicalImage {
    if isDICOM(data) || url.map({ dicomExtensions.contains($0.pathExtension.lowercased()) }) == true {
      return try DICOMImage(
        data: data, source: source, maximumPixelCount: maximumPixelCount,
        maximumDecodedByteCount: maximumDecodedByteCount
      ).medicalImage()
    }
    let image = try ImageDecoder.decode(
      data: data, source: source, pixelFormat: .native, maximumPixelCount: maximumPixelCount,
      maximumDecodedByteCount: maximumDecodedByteCount)
    let colour = image.channels >= 3
    let channels = colour ? 3 : 1
    var values = [Float](repeating: 0, count: image.pixelCount * channels)
    for pixel in 0..<image.pixelCount {
      for channel in 0..<channels {
        let index = pixel * image.channels + channel
        values[pixel * channels + channel] =
          image.bitDepth == 8 ? Float(image.samples8[index]) : Float(image.samples16[index])
      }
    }
    return MedicalImage(
      width: image.width, height: image.height, channels: channels, values: values,
      nominalRange: 0...Double((1 << image.bitDepth) - 1),
      fallbackWindow: image.bitDepth == 8 ? .nominalRange : .minimumMaximum)
  }

  /// Reads a DICOM, PNG or JPEG file and windows it into an 8-bit image for `Preprocessor`.
  /// - Parameters:
  ///   - url: A file URL.
  ///   - window: `.automatic` (the file's window, else the fallback rule of `read(contentsOf:)`), or
  ///     minimum–maximum, the nominal range, or a fixed window.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  /// - Returns: `[H, W, C]` 8-bit pixels, C = 1 (monochrome) or 3 (colour).
  /// - Throws: `MedicalImageError` or `ImageDecodingError` naming the file.
  public static func sourceImage(
    contentsOf url: URL, window: WindowSelection = .automatic,
    maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws -> Preprocessor.SourceImage {
    try read(
      contentsOf: url, maximumPixelCount: maximumPixelCount, maximumDecodedByteCount: maximumDecodedByteCount
    ).sourceImage(window: window)
  }

  /// Windows an image held in memory into an 8-bit image (see `sourceImage(contentsOf:window:)`).
  /// - Parameters:
  ///   - data: The whole file.
  ///   - source: The name used in error messages.
  ///   - url: The file's URL, whose extension can mark DICOM; nil to decide from the bytes alone.
  ///   - window: Which window to apply.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose samples would take more bytes than this are refused
  ///     before decoding.
  /// - Throws: `MedicalImageError` or `ImageDecodingError` naming `source`.
  public static func sourceImage(
    data: Data, source: String, url: URL? = nil, window: WindowSelection = .automatic,
    maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws -> Preprocessor.SourceImage {
    try read(
      data: data, source: source, url: url, maximumPixelCount: maximumPixelCount,
      maximumDecodedByteCount: maximumDecodedByteCount
    ).sourceImage(window: window)
  }

  /// Reads a grayscale PNG or JPEG with every bit of its samples (16-bit PNGs are not reduced to 8 bits).
  /// - Parameter url: A file URL of a gray or gray + alpha PNG (1 to 16 bits) or a grayscale JPEG.
  /// - Returns: `[H, W]` samples; alpha is dropped.
  /// - Throws: `ImageDecodingError` naming the file when it cannot be decoded, `MedicalImageError` when
  ///   it is unreadable or in colour.
  public static func grayscaleSamples(contentsOf url: URL) throws -> GrayscaleSamples {
    let (data, source) = try contents(of: url)
    return try grayscaleSamples(data: data, source: source)
  }

  /// Reads a grayscale PNG or JPEG held in memory (see `grayscaleSamples(contentsOf:)`).
  /// - Parameters:
  ///   - data: The whole file.
  ///   - source: The name used in error messages.
  /// - Throws: `ImageDecodingError` or `MedicalImageError` naming `source`.
  public static func grayscaleSamples(data: Data, source: String) throws -> GrayscaleSamples {
    let image = try ImageDecoder.decode(data: data, source: source, pixelFormat: .native)
    guard image.channels <= 2 else {
      throw MedicalImageError.unsupportedPixelFormat(
        source: source, detail: "\(image.channels)-channel colour image, expected grayscale")
    }
    let stride = image.channels
    let samples: [UInt16] =
      image.bitDepth == 8
      ? (0..<image.pixelCount).map { UInt16(image.samples8[$0 * stride]) }
      : (stride == 1 ? image.samples16 : (0..<image.pixelCount).map { image.samples16[$0 * stride] })
    return GrayscaleSamples(
      width: image.width, height: image.height, bitDepth: image.bitDepth, samples: samples)
  }

  private static func contents(of url: URL) throws -> (Data, String) {
    let source = url.isFileURL ? url.path : url.absoluteString
    guard url.isFileURL else {
      throw MedicalImageError.unreadableFile(source: source, reason: "not a file URL")
    }
    do {
      return (try RegularFile.contents(of: url, maximumByteCount: ImageDecoder.maximumFileByteCount), source)
    } catch {
      throw MedicalImageError.unreadableFile(source: source, reason: error.reason)
    }
  }
}
