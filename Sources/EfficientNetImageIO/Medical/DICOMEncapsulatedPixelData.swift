/// Encapsulated (compressed) pixel data, PS3.5 A.4: a Basic Offset Table item, then fragment items, then a
/// sequence delimiter. Only the first frame is assembled.
extension DICOMParser {
  /// The bytes of the first frame of encapsulated pixel data starting at `start`.
  ///
  /// With a Basic Offset Table, frame 1 is the fragments from offset 0 up to the table's second offset.
  /// Without one: a single-frame image is all fragments; when there are as many fragments as frames,
  /// frame 1 is the first fragment; otherwise the fragments up to the first that ends with a JPEG end of
  /// image marker (FF D9, maybe followed by one padding byte). Every item header through the sequence
  /// delimiter is read, so a file cut anywhere in its pixel data is reported as truncated.
  /// - Parameter numberOfFrames: The image's Number of Frames (1 when absent).
  func firstEncapsulatedFrame(from start: Int, numberOfFrames: Int) throws -> [UInt8] {
    let table = try elementHeader(at: start, explicit: false)
    guard table.tag == .item, table.length != Self.undefinedLength, table.length % 4 == 0 else {
      throw MedicalImageError.corrupt(
        source: source, offset: start,
        detail:
          "encapsulated Pixel Data must start with a Basic Offset Table item, found \(table.tag.formatted)")
    }
    try require(Int(table.length), at: table.valueOffset, "the Basic Offset Table")
    let offsets = stride(from: table.valueOffset, to: table.valueOffset + Int(table.length), by: 4).map {
      Int(readUInt32(at: $0))
    }

    // Fragments: (offset of the item tag relative to the first fragment, value range).
    let firstFragment = table.valueOffset + Int(table.length)
    var fragments: [(relativeOffset: Int, range: Range<Int>)] = []
    var offset = firstFragment
    while true {
      let header = try elementHeader(at: offset, explicit: false)
      if header.tag == .sequenceDelimitation { break }
      guard header.tag == .item, header.length != Self.undefinedLength else {
        throw MedicalImageError.corrupt(
          source: source, offset: offset,
          detail: "expected a fragment item in encapsulated Pixel Data, found \(header.tag.formatted)")
      }
      try require(Int(header.length), at: header.valueOffset, "a pixel data fragment")
      let end = header.valueOffset + Int(header.length)
      fragments.append((offset - firstFragment, header.valueOffset..<end))
      offset = end
    }
    guard !fragments.isEmpty else {
      throw MedicalImageError.missingAttribute(
        source: source, name: "Pixel Data (7FE0,0010)", detail: "encapsulated pixel data without fragments")
    }

    var frame: [Range<Int>]
    if !offsets.isEmpty {
      guard offsets[0] == 0, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 < $1 }) else {
        throw MedicalImageError.corrupt(
          source: source, offset: table.valueOffset,
          detail: "Basic Offset Table \(offsets.prefix(4)) is not ascending from 0")
      }
      let end = offsets.count > 1 ? offsets[1] : Int.max
      frame = fragments.filter { $0.relativeOffset < end }.map(\.range)
    } else if numberOfFrames <= 1 {
      frame = fragments.map(\.range)
    } else if fragments.count == numberOfFrames {
      frame = [fragments[0].range]
    } else {
      frame = []
      for fragment in fragments {
        frame.append(fragment.range)
        if endsWithEndOfImage(fragment.range) { break }
      }
    }
    var data: [UInt8] = []
    data.reserveCapacity(frame.reduce(0) { $0 + $1.count })
    for range in frame { data.append(contentsOf: bytes[range]) }
    return data
  }

  /// Whether a fragment ends with FF D9, allowing one trailing padding byte.
  private func endsWithEndOfImage(_ range: Range<Int>) -> Bool {
    let tail = bytes[range].suffix(3)
    let values = Array(tail)
    if values.count >= 2 && values[values.count - 2] == 0xFF && values[values.count - 1] == 0xD9 {
      return true
    }
    return values.count == 3 && values[0] == 0xFF && values[1] == 0xD9
  }
}

/// What libjpeg will do with a 3-component JPEG's colours, from its header (libjpeg-turbo's rules in
/// `jdapimin.c`: a JFIF marker means YCbCr; an Adobe marker's transform flag 0 means RGB, otherwise YCbCr;
/// without either, component identifiers 'R', 'G', 'B' mean RGB, anything else YCbCr).
enum JPEGColorTransform {
  /// Whether libjpeg will convert the frame's components from YCbCr to RGB; nil when the frame is not a
  /// readable 3-component JPEG (libjpeg then reports the problem itself).
  static func convertsYCbCr(_ frame: [UInt8]) -> Bool? {
    guard frame.count >= 4, frame[0] == 0xFF, frame[1] == 0xD8 else { return nil }
    var sawJFIF = false
    var adobeTransform: UInt8?
    var position = 2
    while position + 4 <= frame.count {
      guard frame[position] == 0xFF else { return nil }
      let marker = frame[position + 1]
      if marker == 0xFF {
        position += 1
        continue
      }
      let length = Int(frame[position + 2]) << 8 | Int(frame[position + 3])
      let body = (position + 4)..<min(frame.count, position + 2 + length)
      switch marker {
      case 0xE0:
        if frame[body].starts(with: Array("JFIF\u{0}".utf8)) { sawJFIF = true }
      case 0xEE:
        if frame[body].starts(with: Array("Adobe".utf8)), body.count >= 12 {
          adobeTransform = frame[body.lowerBound + 11]
        }
      case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
        guard body.count >= 15, frame[body.lowerBound + 5] == 3 else { return nil }
        let identifiers = [0, 1, 2].map { frame[body.lowerBound + 6 + 3 * $0] }
        if sawJFIF { return true }
        if let adobeTransform { return adobeTransform != 0 }
        return identifiers != Array("RGB".utf8)
      default:
        break
      }
      guard length >= 2 else { return nil }
      position += 2 + length
    }
    return nil
  }
}
