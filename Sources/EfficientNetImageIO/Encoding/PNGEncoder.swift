import EfficientNetFiles
import Foundation

/// Encodes images as PNG files: 8- or 16-bit gray, gray + alpha, RGB or RGBA, not interlaced.
///
/// The pixel rows are stored without filtering in a zlib stream of stored (uncompressed) deflate
/// blocks, so files are about the size of the raw pixels; any PNG reader (libpng, Pillow, browsers)
/// decodes them to exactly the samples written.
///
/// ```swift
/// let image = DecodedImage(width: 2, height: 1, channels: 3, samples8: [255, 0, 0, 0, 0, 255])
/// try PNGEncoder.write(image, to: URL(fileURLWithPath: "red-blue.png"))
/// ```
public enum PNGEncoder {
  /// The eight bytes every PNG file starts with.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  /// The most bytes one stored deflate block holds.
  static let storedBlockLimit = 65_535

  /// Encodes an image as a complete PNG file.
  ///
  /// - Parameters:
  ///   - image: `[H, W, C]` samples, C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), 8 or 16 bits.
  ///   - destination: The name used in error messages (a path, say).
  /// - Returns: The file's bytes.
  /// - Throws: ``ImageEncodingError/emptyImage(destination:width:height:)`` for a zero width or height,
  ///   ``ImageEncodingError/tooLarge(destination:width:height:)`` past PNG's size limit.
  public static func encode(_ image: DecodedImage, destination: String = "image") throws -> Data {
    guard image.width >= 1, image.height >= 1 else {
      throw ImageEncodingError.emptyImage(destination: destination, width: image.width, height: image.height)
    }
    let limit = Int(Int32.max)
    let bytesPerSample = image.bitDepth / 8
    let rowBytes = image.width.multipliedReportingOverflow(by: image.channels * bytesPerSample)
    let dataBytes = (rowBytes.partialValue + 1).multipliedReportingOverflow(by: image.height)
    // One IDAT chunk holds everything: its length (plus the stored blocks' framing) must fit in 31 bits.
    guard image.width <= limit, image.height <= limit, !rowBytes.overflow, !dataBytes.overflow,
      dataBytes.partialValue <= limit - limit / storedBlockLimit * 5 - 16
    else {
      throw ImageEncodingError.tooLarge(destination: destination, width: image.width, height: image.height)
    }
    let colourTypes = [1: UInt8(0), 2: 4, 3: 2, 4: 6]
    var header: [UInt8] = []
    appendBigEndian(UInt32(image.width), to: &header)
    appendBigEndian(UInt32(image.height), to: &header)
    // Bit depth, colour type, compression 0 (deflate), filter method 0, no interlace.
    header += [UInt8(image.bitDepth), colourTypes[image.channels] ?? 0, 0, 0, 0]

    var file = Data(signature)
    appendChunk("IHDR", header, to: &file)
    appendChunk("IDAT", zlibStored(scanlines(of: image, rowBytes: rowBytes.partialValue)), to: &file)
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// Encodes an image and writes it atomically: readers see the old file or the new one, never a part.
  ///
  /// - Parameters:
  ///   - image: As for ``encode(_:destination:)``.
  ///   - url: The destination file; an existing file there is replaced.
  /// - Throws: ``ImageEncodingError`` naming `url`: an empty or too large image, or a failed write.
  public static func write(_ image: DecodedImage, to url: URL) throws {
    let data = try encode(image, destination: url.path)
    do {
      try AtomicFile.write([data], to: url)
    } catch {
      throw ImageEncodingError.writeFailed(destination: url.path, reason: error.reason)
    }
  }

  /// The filtered image data: each row preceded by filter type 0 (none); 16-bit samples big-endian.
  private static func scanlines(of image: DecodedImage, rowBytes: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: (rowBytes + 1) * image.height)
    let samplesPerRow = image.width * image.channels
    for row in 0..<image.height {
      let rowStart = row * (rowBytes + 1) + 1
      let sampleStart = row * samplesPerRow
      if image.bitDepth == 8 {
        for index in 0..<samplesPerRow { bytes[rowStart + index] = image.samples8[sampleStart + index] }
      } else {
        for index in 0..<samplesPerRow {
          let sample = image.samples16[sampleStart + index]
          bytes[rowStart + 2 * index] = UInt8(sample >> 8)
          bytes[rowStart + 2 * index + 1] = UInt8(sample & 0xFF)
        }
      }
    }
    return bytes
  }

  /// A zlib stream (RFC 1950) holding `payload` in stored deflate blocks (RFC 1951 §3.2.4).
  static func zlibStored(_ payload: [UInt8]) -> [UInt8] {
    let blockCount = max(1, (payload.count + storedBlockLimit - 1) / storedBlockLimit)
    var stream: [UInt8] = []
    stream.reserveCapacity(payload.count + 5 * blockCount + 6)
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF·256 + FLG a multiple of 31.
    stream += [0x78, 0x01]
    for block in 0..<blockCount {
      let start = block * storedBlockLimit
      let end = min(start + storedBlockLimit, payload.count)
      let length = UInt16(end - start)
      // BFINAL in bit 0, BTYPE 00 (stored) in bits 1-2; then LEN and its complement, little-endian.
      stream.append(block == blockCount - 1 ? 1 : 0)
      stream += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
      stream += payload[start..<end]
    }
    let adler = payload.withUnsafeBufferPointer { Checksums.adler32($0) }
    appendBigEndian(adler, to: &stream)
    return stream
  }

  /// Appends a chunk: length, type, data and the CRC-32 of type and data.
  private static func appendChunk(_ type: String, _ body: [UInt8], to file: inout Data) {
    let typeBytes = Array(type.utf8)
    var prefix: [UInt8] = []
    appendBigEndian(UInt32(body.count), to: &prefix)
    file.append(contentsOf: prefix + typeBytes)
    file.append(contentsOf: body)
    var crc: [UInt8] = []
    appendBigEndian(Checksums.crc32(body, continuing: Checksums.crc32(typeBytes)), to: &crc)
    file.append(contentsOf: crc)
  }

  private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes += [
      UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
    ]
  }
}
