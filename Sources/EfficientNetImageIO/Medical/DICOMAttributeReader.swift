/// Typed access to the top-level attribute values a `DICOMParser` collected (little endian).
struct DICOMAttributeReader {
  let values: [DICOMTag: ArraySlice<UInt8>]
  let source: String

  /// A US value (first of several), checked against `allowed`.
  /// - Parameter fallback: The value when the attribute is absent; nil makes it required.
  func unsigned(
    _ tag: DICOMTag, _ name: String, allowed: ClosedRange<Int>, default fallback: Int? = nil
  ) throws -> Int {
    guard let bytes = values[tag], !bytes.isEmpty else {
      if let fallback { return fallback }
      throw MedicalImageError.missingAttribute(source: source, name: name, detail: "absent or empty")
    }
    guard bytes.count >= 2 else {
      throw MedicalImageError.missingAttribute(
        source: source, name: name, detail: "\(bytes.count) bytes, not 2")
    }
    let value = Int(bytes[bytes.startIndex]) | Int(bytes[bytes.startIndex + 1]) << 8
    guard allowed.contains(value) else {
      throw MedicalImageError.missingAttribute(
        source: source, name: name,
        detail: "\(value) is outside \(allowed.lowerBound)...\(allowed.upperBound)")
    }
    return value
  }

  /// A text value (CS, UI, ...) with padding removed; nil when absent or empty.
  func string(_ tag: DICOMTag) throws -> String? {
    guard let bytes = values[tag] else { return nil }
    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: [" ", "\u{0}"])
    return text.isEmpty ? nil : text
  }

  /// The values of a DS or IS attribute (backslash-separated decimal strings); empty when absent.
  /// - Throws: `missingAttribute` when a value is not a finite number.
  func numbers(_ tag: DICOMTag) throws -> [Double] {
    guard let text = try string(tag) else { return [] }
    return try text.split(separator: "\\", omittingEmptySubsequences: false).map { part in
      let trimmed = part.trimmingCharacters(in: [" ", "\u{0}"])
      guard let value = Double(trimmed), value.isFinite else {
        throw MedicalImageError.missingAttribute(
          source: source, name: tag.formatted, detail: "\"\(trimmed)\" is not a number")
      }
      return value
    }
  }
}

extension String {
  /// The string without leading and trailing characters from `set`.
  fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
    Substring(self).trimmingCharacters(in: set)
  }
}

extension Substring {
  /// The substring without leading and trailing characters from `set`.
  fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
    var slice = self[...]
    while let first = slice.first, set.contains(first) { slice.removeFirst() }
    while let last = slice.last, set.contains(last) { slice.removeLast() }
    return String(slice)
  }
}

/// Native (uncompressed, little-endian) pixel data.
struct DICOMNativePixels {
  let bytes: [UInt8]
  let offset: Int
  let length: Int
  let source: String

  /// The first frame's stored values, `[H, W, C]` interleaved, masked to the stored bits at `highBit`
  /// and sign-extended when `isSigned`.
  func firstFrame(
    rows: Int, columns: Int, samplesPerPixel: Int, bitsAllocated: Int, bitsStored: Int, highBit: Int,
    isSigned: Bool, planarConfiguration: Int
  ) throws -> [Int32] {
    let sampleCount = rows * columns * samplesPerPixel
    let bytesPerSample = bitsAllocated / 8
    let frameBytes = sampleCount * bytesPerSample
    guard frameBytes <= length else {
      throw MedicalImageError.truncated(
        source: source, offset: offset,
        detail:
          "Pixel Data holds \(length) bytes, one \(columns)×\(rows)×\(samplesPerPixel) frame needs "
          + "\(frameBytes)"
      )
    }
    let shift = highBit + 1 - bitsStored
    let mask: Int64 = (1 << Int64(bitsStored)) - 1
    let signBit: Int64 = 1 << Int64(bitsStored - 1)
    var values = [Int32](repeating: 0, count: sampleCount)
    bytes.withUnsafeBufferPointer { buffer in
      for index in 0..<sampleCount {
        let position = offset + index * bytesPerSample
        var raw = Int64(buffer[position])
        if bytesPerSample == 2 { raw |= Int64(buffer[position + 1]) << 8 }
        var value = (raw >> Int64(shift)) & mask
        if isSigned && value & signBit != 0 { value -= mask + 1 }
        // Planar configuration 1 stores all R, then all G, then all B: interleave.
        let destination =
          planarConfiguration == 1 && samplesPerPixel > 1
          ? (index % (rows * columns)) * samplesPerPixel + index / (rows * columns) : index
        values[destination] = Int32(value)
      }
    }
    return values
  }
}
