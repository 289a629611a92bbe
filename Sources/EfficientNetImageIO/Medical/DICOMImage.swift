import EfficientNetFiles
import Foundation

/// The first frame of a DICOM image and the attributes needed to turn it into display values.
///
/// Reads Part-10 files (128-byte preamble, "DICM", file meta group) and bare data sets, in Implicit VR
/// Little Endian, Explicit VR Little Endian and JPEG Baseline (Process 1, decoded by libjpeg-turbo).
/// Monochrome (MONOCHROME1, MONOCHROME2; 8 or 16 bits allocated, signed or unsigned, any bits stored
/// and high bit) and colour (RGB, either planar configuration; YBR_FULL and YBR_FULL_422 inside JPEG,
/// converted to RGB by libjpeg). Multi-frame images: only the first frame is decoded.
public struct DICOMImage: Sendable, Equatable {
  /// The file (path or source name), for messages.
  public var source: String
  /// How the file is encoded.
  public var transferSyntax: DICOMTransferSyntax
  /// Rows (0028,0010): the height (H).
  public var rows: Int
  /// Columns (0028,0011): the width (W).
  public var columns: Int
  /// Samples per Pixel (0028,0002): 1 or 3 (C).
  public var samplesPerPixel: Int
  /// Photometric Interpretation (0028,0004) as in the file, e.g. "MONOCHROME2" or "YBR_FULL_422".
  public var photometricInterpretation: String
  /// Bits Allocated (0028,0100): 8 or 16.
  public var bitsAllocated: Int
  /// Bits Stored (0028,0101).
  public var bitsStored: Int
  /// Whether samples are two's complement (Pixel Representation (0028,0103) = 1).
  public var isSigned: Bool
  /// Rescale Slope (0028,1053), nil when absent.
  public var rescaleSlope: Double?
  /// Rescale Intercept (0028,1052), nil when absent.
  public var rescaleIntercept: Double?
  /// The first Window Center / Width pair with the VOI LUT Function, nil when absent.
  public var window: VOIWindow?
  /// Number of Frames (0028,0008), 1 when absent; only the first is decoded.
  public var numberOfFrames: Int
  /// The first frame's stored values, `[H, W, C]` (C = `samplesPerPixel`, interleaved RGB for colour):
  /// masked to Bits Stored and sign-extended when signed; for JPEG, libjpeg's output (colour as RGB).
  public var storedValues: [Int32]

  /// Reads a DICOM file.
  /// - Parameters:
  ///   - url: A file URL.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose stored values (4 bytes each, `storedValues`) would take
  ///     more bytes than this are refused before decoding.
  /// - Throws: `MedicalImageError` naming the file (unreadable, not DICOM, truncated, corrupt, unsupported
  ///   transfer syntax or pixel format, missing attribute, too large); never crashes on damaged files.
  public init(
    contentsOf url: URL, maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws {
    let source = url.isFileURL ? url.path : url.absoluteString
    guard url.isFileURL else {
      throw MedicalImageError.unreadableFile(source: source, reason: "not a file URL")
    }
    let data: Data
    do {
      data = try RegularFile.contents(of: url, maximumByteCount: ImageDecoder.maximumFileByteCount)
    } catch {
      throw MedicalImageError.unreadableFile(source: source, reason: error.reason)
    }
    try self.init(
      data: data, source: source, maximumPixelCount: maximumPixelCount,
      maximumDecodedByteCount: maximumDecodedByteCount)
  }

  /// Reads a DICOM file held in memory.
  /// - Parameters:
  ///   - data: The whole file.
  ///   - source: The name used in error messages, usually the path.
  ///   - maximumPixelCount: Images with more pixels than this are refused before decoding.
  ///   - maximumDecodedByteCount: Images whose stored values (4 bytes each, `storedValues`) would take
  ///     more bytes than this are refused before decoding.
  /// - Throws: `MedicalImageError` naming `source`.
  public init(
    data: Data, source: String, maximumPixelCount: Int = ImageDecoder.defaultMaximumPixelCount,
    maximumDecodedByteCount: Int = ImageDecoder.defaultMaximumDecodedByteCount
  ) throws {
    let parser = DICOMParser(bytes: [UInt8](data), source: source)
    let dataSet = try parser.parse()
    let attributes = DICOMAttributeReader(values: dataSet.values, source: source)
    self.source = source
    transferSyntax = dataSet.transferSyntax
    rows = try attributes.unsigned(.rows, "Rows (0028,0010)", allowed: 1...65535)
    columns = try attributes.unsigned(.columns, "Columns (0028,0011)", allowed: 1...65535)
    samplesPerPixel = try attributes.unsigned(
      .samplesPerPixel, "Samples per Pixel (0028,0002)", allowed: 1...4)
    photometricInterpretation =
      try attributes.string(.photometricInterpretation) ?? (samplesPerPixel == 1 ? "MONOCHROME2" : "RGB")
    bitsAllocated = try attributes.unsigned(.bitsAllocated, "Bits Allocated (0028,0100)", allowed: 1...64)
    bitsStored = try attributes.unsigned(
      .bitsStored, "Bits Stored (0028,0101)", allowed: 1...bitsAllocated, default: bitsAllocated)
    let highBit = try attributes.unsigned(
      .highBit, "High Bit (0028,0102)", allowed: (bitsStored - 1)...(bitsAllocated - 1),
      default: bitsStored - 1)
    isSigned =
      try attributes.unsigned(
        .pixelRepresentation, "Pixel Representation (0028,0103)", allowed: 0...1, default: 0) == 1
    let frames = try attributes.numbers(.numberOfFrames).first ?? 1
    guard frames >= 0, frames <= Double(Int32.max), frames == frames.rounded() else {
      throw MedicalImageError.missingAttribute(
        source: source, name: "Number of Frames (0028,0008)", detail: "\(frames) is not a frame count")
    }
    numberOfFrames = max(1, Int(frames))
    rescaleSlope = try attributes.numbers(.rescaleSlope).first
    rescaleIntercept = try attributes.numbers(.rescaleIntercept).first
    if let center = try attributes.numbers(.windowCenter).first,
      let width = try attributes.numbers(.windowWidth).first
    {
      let name = try attributes.string(.voiLUTFunction) ?? "LINEAR"
      window = VOIWindow(
        center: center, width: width, function: VOIWindow.Function(rawValue: name) ?? .linear)
    }

    let limits = DecodeLimits(pixelCount: maximumPixelCount, byteCount: maximumDecodedByteCount)
    guard limits.allowsPixels(width: columns, height: rows) else {
      throw MedicalImageError.tooLarge(
        source: source, width: columns, height: rows, maximumPixelCount: maximumPixelCount)
    }
    // Every sample is held as an Int32 whatever Bits Allocated says.
    let bytesPerValue = MemoryLayout<Int32>.size
    guard
      limits.allowsBytes(
        width: columns, height: rows, channels: samplesPerPixel, bytesPerSample: bytesPerValue)
    else {
      throw MedicalImageError.tooManyBytes(
        source: source, width: columns, height: rows, channels: samplesPerPixel,
        bytesPerSample: bytesPerValue,
        maximumByteCount: maximumDecodedByteCount)
    }
    storedValues = []
    try checkPhotometricInterpretation()
    if transferSyntax.isEncapsulated {
      let frame = try parser.firstEncapsulatedFrame(
        from: dataSet.pixelDataOffset, numberOfFrames: numberOfFrames)
      storedValues = try decodeJPEGFrame(frame, limits: limits)
    } else {
      storedValues = try DICOMNativePixels(
        bytes: parser.bytes, offset: dataSet.pixelDataOffset, length: dataSet.pixelDataLength ?? 0,
        source: source
      ).firstFrame(
        rows: rows, columns: columns, samplesPerPixel: samplesPerPixel, bitsAllocated: bitsAllocated,
        bitsStored: bitsStored, highBit: highBit, isSigned: isSigned,
        planarConfiguration: try attributes.unsigned(
          .planarConfiguration, "Planar Configuration (0028,0006)", allowed: 0...1, default: 0))
    }
  }

  /// Whether the image is monochrome (one sample per pixel).
  public var isMonochrome: Bool { samplesPerPixel == 1 }

  /// The stored values after the Modality LUT, `value * slope + intercept` (in Double, then rounded to
  /// Float), `[H, W, C]`. Colour images and images without Rescale Slope / Intercept are unchanged.
  public var rescaledValues: [Float] {
    guard isMonochrome, rescaleSlope != nil || rescaleIntercept != nil else {
      return storedValues.map { Float($0) }
    }
    let slope = rescaleSlope ?? 1
    let intercept = rescaleIntercept ?? 0
    return storedValues.map { Float(Double($0) * slope + intercept) }
  }

  /// The rescaled image with its window and inversion, ready for `sourceImage(window:)`.
  ///
  /// Monochrome images fall back to their minimum–maximum window when the file has none; colour images to
  /// the nominal range (so 8-bit RGB is unchanged). MONOCHROME1 is inverted after windowing.
  public func medicalImage() -> MedicalImage {
    let storedRange: ClosedRange<Double> =
      isSigned
      ? -Double(1 << (bitsStored - 1))...Double((1 << (bitsStored - 1)) - 1)
      : 0...Double((1 << bitsStored) - 1)
    var nominalRange = storedRange
    if isMonochrome, rescaleSlope != nil || rescaleIntercept != nil {
      let slope = rescaleSlope ?? 1
      let intercept = rescaleIntercept ?? 0
      let ends = [storedRange.lowerBound * slope + intercept, storedRange.upperBound * slope + intercept]
      nominalRange = (ends.min() ?? 0)...(ends.max() ?? 0)
    }
    return MedicalImage(
      width: columns, height: rows, channels: samplesPerPixel, values: rescaledValues,
      isInverted: photometricInterpretation == "MONOCHROME1", fileWindow: isMonochrome ? window : nil,
      nominalRange: nominalRange, fallbackWindow: isMonochrome ? .minimumMaximum : .nominalRange)
  }

  private func checkPhotometricInterpretation() throws {
    let photometric = photometricInterpretation
    let supported: Bool
    switch (samplesPerPixel, photometric) {
    case (1, "MONOCHROME1"), (1, "MONOCHROME2"), (3, "RGB"): supported = true
    case (3, "YBR_FULL"), (3, "YBR_FULL_422"): supported = transferSyntax.isEncapsulated
    default: supported = false
    }
    guard supported else {
      throw MedicalImageError.unsupportedPixelFormat(
        source: source,
        detail:
          "Photometric Interpretation \(photometric) with \(samplesPerPixel) samples per pixel in "
          + transferSyntax.name
      )
    }
    let bitsSupported =
      transferSyntax.isEncapsulated ? bitsAllocated == 8 : (bitsAllocated == 8 || bitsAllocated == 16)
    guard bitsSupported else {
      throw MedicalImageError.unsupportedPixelFormat(
        source: source, detail: "Bits Allocated \(bitsAllocated) in \(transferSyntax.name) (8 or 16 are read)"
      )
    }
  }

  /// Decodes a JPEG Baseline frame through libjpeg (via `ImageDecoder`) and checks it against the header.
  private func decodeJPEGFrame(_ frame: [UInt8], limits: DecodeLimits) throws -> [Int32] {
    if samplesPerPixel == 3, let converts = JPEGColorTransform.convertsYCbCr(frame) {
      let wantsConversion = photometricInterpretation != "RGB"
      guard converts == wantsConversion else {
        throw MedicalImageError.unsupportedPixelFormat(
          source: source,
          detail: "Photometric Interpretation \(photometricInterpretation), but libjpeg would "
            + (converts ? "convert the JPEG frame from YCbCr" : "not convert the JPEG frame from YCbCr")
            + " (no JFIF/Adobe marker says otherwise)")
      }
    }
    let image: DecodedImage
    do {
      image = try ImageDecoder.decode(
        data: Data(frame), source: source, pixelFormat: .native, applyOrientation: false,
        maximumPixelCount: limits.pixelCount, maximumDecodedByteCount: limits.byteCount)
    } catch let error as ImageDecodingError {
      throw MedicalImageError.compressedFrame(source: source, detail: "frame 1: \(error.description)")
    }
    guard image.width == columns, image.height == rows, image.channels == samplesPerPixel, image.bitDepth == 8
    else {
      throw MedicalImageError.compressedFrame(
        source: source,
        detail: "frame 1 is \(image.width)×\(image.height)×\(image.channels) at \(image.bitDepth) bits, "
          + "the header says \(columns)×\(rows)×\(samplesPerPixel) at 8 bits")
    }
    return image.samples8.map { Int32($0) }
  }
}
