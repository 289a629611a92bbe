/// The EXIF orientation tag (0x0112) of an image, named after the transform that turns the stored pixels
/// into the upright picture (the same transforms as Pillow's `ImageOps.exif_transpose`).
public enum ExifOrientation: Int, Sendable, CaseIterable, Equatable {
  /// 1: stored upright.
  case identity = 1
  /// 2: mirror left and right.
  case flipHorizontal = 2
  /// 3: rotate by 180°.
  case rotate180 = 3
  /// 4: mirror top and bottom.
  case flipVertical = 4
  /// 5: mirror across the main diagonal (rows become columns); W and H swap.
  case transpose = 5
  /// 6: rotate 90° clockwise; W and H swap.
  case rotate90Clockwise = 6
  /// 7: mirror across the anti-diagonal; W and H swap.
  case transverse = 7
  /// 8: rotate 90° counter-clockwise; W and H swap.
  case rotate90CounterClockwise = 8

  /// Whether applying the transform exchanges width and height.
  public var swapsWidthAndHeight: Bool { rawValue >= 5 }
}

extension DecodedImage {
  /// The image with `orientation`'s transform applied: what a viewer honouring the EXIF tag shows.
  ///
  /// `[H, W, C]` becomes `[W, H, C]` for the transposing orientations (5 to 8).
  /// - Parameter orientation: The orientation the pixels are stored in.
  /// - Returns: The upright image (`self` for `.identity`).
  public func applyingOrientation(_ orientation: ExifOrientation) -> DecodedImage {
    if orientation == .identity { return self }
    let outputWidth = orientation.swapsWidthAndHeight ? height : width
    let outputHeight = orientation.swapsWidthAndHeight ? width : height
    var result = self
    result.width = outputWidth
    result.height = outputHeight
    if bitDepth == 8 {
      result.samples8 = Self.reorient(samples8, width: width, height: height, channels: channels, orientation)
    } else {
      result.samples16 = Self.reorient(
        samples16, width: width, height: height, channels: channels, orientation)
    }
    return result
  }

  /// Copies `[H, W, C]` samples into the oriented layout. Output row `y` walks the source from pixel
  /// `start(y)` in steps of `step` pixels.
  private static func reorient<Sample>(
    _ source: [Sample], width: Int, height: Int, channels: Int, _ orientation: ExifOrientation
  ) -> [Sample] {
    let outputWidth = orientation.swapsWidthAndHeight ? height : width
    let outputHeight = orientation.swapsWidthAndHeight ? width : height
    let start: (Int) -> Int
    let step: Int
    switch orientation {
    case .identity: (start, step) = ({ y in y * width }, 1)
    case .flipHorizontal: (start, step) = ({ y in y * width + width - 1 }, -1)
    case .rotate180: (start, step) = ({ y in (height - 1 - y) * width + width - 1 }, -1)
    case .flipVertical: (start, step) = ({ y in (height - 1 - y) * width }, 1)
    case .transpose: (start, step) = ({ y in y }, width)
    case .rotate90Clockwise: (start, step) = ({ y in (height - 1) * width + y }, -width)
    case .transverse: (start, step) = ({ y in (height - 1) * width + width - 1 - y }, -width)
    case .rotate90CounterClockwise: (start, step) = ({ y in width - 1 - y }, width)
    }
    let count = source.count
    return [Sample](unsafeUninitializedCapacity: count) { output, initializedCount in
      source.withUnsafeBufferPointer { input in
        guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return }
        var outputIndex = 0
        for y in 0..<outputHeight {
          var sourcePixel = start(y)
          for _ in 0..<outputWidth {
            (outputBase + outputIndex).initialize(from: inputBase + sourcePixel * channels, count: channels)
            outputIndex += channels
            sourcePixel += step
          }
        }
      }
      initializedCount = count
    }
  }
}

/// Finds the EXIF orientation in a JPEG (APP1 "Exif" segment) or PNG (eXIf chunk). Every offset is
/// bounds-checked; anything malformed yields nil, never a crash.
enum ExifOrientationReader {
  /// The orientation stored in `bytes` (a whole JPEG or PNG file), or nil when absent or malformed.
  static func orientation(in bytes: UnsafeRawBufferPointer, format: ImageFileFormat) -> ExifOrientation? {
    guard let tiff = format == .jpeg ? jpegExifPayload(bytes) : pngExifPayload(bytes) else { return nil }
    return orientation(inTIFF: tiff)
  }

  /// The TIFF structure inside the first APP1 "Exif\0\0" segment before the first scan.
  private static func jpegExifPayload(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence?
  {
    var position = 2  // after SOI
    while position + 4 <= bytes.count {
      guard bytes[position] == 0xFF else { return nil }
      let marker = bytes[position + 1]
      if marker == 0xFF {  // fill byte
        position += 1
        continue
      }
      if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {  // no length field
        position += 2
        continue
      }
      if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan / end of image: no EXIF ahead
      let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
      let payloadStart = position + 4
      let payloadEnd = position + 2 + length
      guard length >= 2, payloadEnd <= bytes.count else { return nil }
      if marker == 0xE1 && length >= 8 {
        let header: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
        if bytes[payloadStart..<payloadStart + 6].elementsEqual(header) {
          return bytes[(payloadStart + 6)..<payloadEnd]
        }
      }
      position = payloadEnd
    }
    return nil
  }

  /// The data of the eXIf chunk, searched before the first IDAT.
  private static func pngExifPayload(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
    var position = 8  // after the signature
    while position + 8 <= bytes.count {
      let length = readUInt32(bytes, at: position, bigEndian: true)
      let type = bytes[(position + 4)..<(position + 8)]
      let dataStart = position + 8
      guard length <= UInt32(Int32.max), dataStart + Int(length) + 4 <= bytes.count else { return nil }
      let dataEnd = dataStart + Int(length)
      if type.elementsEqual("IDAT".utf8) || type.elementsEqual("IEND".utf8) { return nil }
      if type.elementsEqual("eXIf".utf8) { return bytes[dataStart..<dataEnd] }
      position = dataEnd + 4  // skip the CRC
    }
    return nil
  }

  /// Tag 0x0112 of IFD0 in a TIFF structure ("II" or "MM" byte order).
  private static func orientation(inTIFF tiff: UnsafeRawBufferPointer.SubSequence) -> ExifOrientation? {
    let bytes = UnsafeRawBufferPointer(rebasing: tiff)
    guard bytes.count >= 8 else { return nil }
    let bigEndian: Bool
    switch (bytes[0], bytes[1]) {
    case (0x49, 0x49): bigEndian = false
    case (0x4D, 0x4D): bigEndian = true
    default: return nil
    }
    guard readUInt16(bytes, at: 2, bigEndian: bigEndian) == 42 else { return nil }
    let directoryOffset = Int(readUInt32(bytes, at: 4, bigEndian: bigEndian))
    guard directoryOffset >= 8, directoryOffset <= bytes.count - 2 else { return nil }
    let entryCount = Int(readUInt16(bytes, at: directoryOffset, bigEndian: bigEndian))
    for entry in 0..<entryCount {
      let entryOffset = directoryOffset + 2 + entry * 12
      guard entryOffset + 12 <= bytes.count else { return nil }
      guard readUInt16(bytes, at: entryOffset, bigEndian: bigEndian) == 0x0112 else { continue }
      let type = readUInt16(bytes, at: entryOffset + 2, bigEndian: bigEndian)
      let value: Int
      switch type {
      case 3: value = Int(readUInt16(bytes, at: entryOffset + 8, bigEndian: bigEndian))  // SHORT
      case 4: value = Int(readUInt32(bytes, at: entryOffset + 8, bigEndian: bigEndian))  // LONG
      default: return nil
      }
      return ExifOrientation(rawValue: value)
    }
    return nil
  }

  private static func readUInt16(_ bytes: UnsafeRawBufferPointer, at offset: Int, bigEndian: Bool) -> UInt16 {
    let first = UInt16(bytes[offset])
    let second = UInt16(bytes[offset + 1])
    return bigEndian ? first << 8 | second : second << 8 | first
  }

  private static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int, bigEndian: Bool) -> UInt32 {
    let first = UInt32(readUInt16(bytes, at: offset, bigEndian: bigEndian))
    let second = UInt32(readUInt16(bytes, at: offset + 2, bigEndian: bigEndian))
    return bigEndian ? first << 16 | second : second << 16 | first
  }
}
