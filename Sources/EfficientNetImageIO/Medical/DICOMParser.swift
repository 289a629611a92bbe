/// A DICOM tag, group in the high 16 bits and element in the low 16 bits: `(0028,0010)` is `0x0028_0010`.
typealias DICOMTag = UInt32

extension DICOMTag {
  static let transferSyntaxUID: DICOMTag = 0x0002_0010
  static let samplesPerPixel: DICOMTag = 0x0028_0002
  static let photometricInterpretation: DICOMTag = 0x0028_0004
  static let planarConfiguration: DICOMTag = 0x0028_0006
  static let numberOfFrames: DICOMTag = 0x0028_0008
  static let rows: DICOMTag = 0x0028_0010
  static let columns: DICOMTag = 0x0028_0011
  static let bitsAllocated: DICOMTag = 0x0028_0100
  static let bitsStored: DICOMTag = 0x0028_0101
  static let highBit: DICOMTag = 0x0028_0102
  static let pixelRepresentation: DICOMTag = 0x0028_0103
  static let windowCenter: DICOMTag = 0x0028_1050
  static let windowWidth: DICOMTag = 0x0028_1051
  static let rescaleIntercept: DICOMTag = 0x0028_1052
  static let rescaleSlope: DICOMTag = 0x0028_1053
  static let voiLUTFunction: DICOMTag = 0x0028_1056
  static let pixelData: DICOMTag = 0x7FE0_0010
  static let item: DICOMTag = 0xFFFE_E000
  static let itemDelimitation: DICOMTag = 0xFFFE_E00D
  static let sequenceDelimitation: DICOMTag = 0xFFFE_E0DD

  /// The attributes the image reader keeps from the top-level data set.
  static let imageAttributes: Set<DICOMTag> = [
    .samplesPerPixel, .photometricInterpretation, .planarConfiguration, .numberOfFrames, .rows, .columns,
    .bitsAllocated, .bitsStored, .highBit, .pixelRepresentation, .windowCenter, .windowWidth,
    .rescaleIntercept, .rescaleSlope, .voiLUTFunction,
  ]

  /// "(gggg,eeee)".
  var formatted: String {
    func hex(_ value: UInt32) -> String {
      let digits = String(value, radix: 16, uppercase: true)
      return String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits
    }
    return "(\(hex(self >> 16)),\(hex(self & 0xFFFF)))"
  }
}

/// What the parser found: the transfer syntax, the top-level image attributes and where the pixel data is.
struct DICOMDataSet {
  var transferSyntax: DICOMTransferSyntax
  /// Value bytes of the top-level `DICOMTag.imageAttributes` present in the file.
  var values: [DICOMTag: ArraySlice<UInt8>]
  /// The byte offset of the Pixel Data value.
  var pixelDataOffset: Int
  /// The Pixel Data value length; nil when undefined (encapsulated).
  var pixelDataLength: Int?
}

/// Reads a DICOM file's structure: the Part-10 header (or a bare data set), the file meta group, and the
/// top-level elements up to Pixel Data, skipping sequences of defined and undefined length.
///
/// Every read is bounds-checked and every loop advances by at least 8 bytes, so damaged files end in a
/// thrown `MedicalImageError` (naming the file and byte offset), never a crash or a hang.
struct DICOMParser {
  let bytes: [UInt8]
  let source: String

  /// Sequences nested deeper than this are refused (real files nest a few levels).
  static let maximumSequenceDepth = 64
  /// The length that marks an undefined-length sequence, item or encapsulated pixel data.
  static let undefinedLength: UInt32 = 0xFFFF_FFFF
  /// VRs whose explicit encoding has two reserved bytes and a 32-bit length.
  private static let longVRs: Set<String> = [
    "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV",
  ]

  /// Where the data set starts and how it is encoded, from the first bytes; nil when not DICOM.
  ///
  /// A Part-10 file has a 128-byte preamble, "DICM", then the file meta group. Without the preamble we
  /// accept a file that starts with the file meta group (group 0002) or with a group-0008 element, whose
  /// VR (explicit) or its absence (implicit) gives the transfer syntax.
  static func layout(of bytes: [UInt8]) -> (metaOffset: Int?, dataSetOffset: Int)? {
    if bytes.count >= 132, bytes[128..<132].elementsEqual("DICM".utf8) { return (132, 132) }
    guard bytes.count >= 8 else { return nil }
    let group = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
    if group == 0x0002, isVR(bytes[4], bytes[5]) { return (0, 0) }
    if group == 0x0008 { return (nil, 0) }
    return nil
  }

  /// Whether two bytes are upper-case ASCII letters, as every VR is.
  static func isVR(_ first: UInt8, _ second: UInt8) -> Bool {
    (0x41...0x5A).contains(first) && (0x41...0x5A).contains(second)
  }

  func parse() throws -> DICOMDataSet {
    guard let (metaOffset, start) = Self.layout(of: bytes) else {
      throw MedicalImageError.notDICOM(source: source)
    }
    var offset = start
    var transferSyntax: DICOMTransferSyntax
    if let metaOffset {
      (transferSyntax, offset) = try parseFileMeta(from: metaOffset)
    } else {
      let explicit = Self.isVR(bytes[4], bytes[5])
      transferSyntax = explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }
    guard transferSyntax.isSupported else {
      throw MedicalImageError.unsupportedTransferSyntax(
        source: source, uid: transferSyntax.uid, name: transferSyntax.name)
    }
    // Some writers encode the data set in implicit VR under an explicit-VR transfer syntax; like pydicom,
    // trust the first element's bytes over the file meta.
    var explicit = transferSyntax.hasExplicitVR
    if explicit, offset + 6 <= bytes.count, !Self.isVR(bytes[offset + 4], bytes[offset + 5]) {
      explicit = false
    }
    var values: [DICOMTag: ArraySlice<UInt8>] = [:]
    var pixelData: (offset: Int, length: Int?)?
    // Every element is walked, also those after Pixel Data (trailing padding), so a file cut anywhere
    // is reported as truncated.
    while offset < bytes.count {
      let header = try elementHeader(at: offset, explicit: explicit)
      if header.tag == .pixelData && pixelData == nil {
        let length = header.length == Self.undefinedLength ? nil : Int(header.length)
        if length == nil && !transferSyntax.isEncapsulated {
          throw MedicalImageError.corrupt(
            source: source, offset: offset,
            detail: "undefined-length (encapsulated) Pixel Data in \(transferSyntax.name)")
        }
        if let length, transferSyntax.isEncapsulated {
          throw MedicalImageError.corrupt(
            source: source, offset: offset,
            detail: "Pixel Data of defined length \(length) in \(transferSyntax.name), which encapsulates")
        }
        pixelData = (header.valueOffset, length)
      }
      if header.tag >> 16 == 0xFFFE {
        throw MedicalImageError.corrupt(
          source: source, offset: offset, detail: "item tag \(header.tag.formatted) outside a sequence")
      }
      let end = try skipValue(header, at: offset, explicit: explicit, depth: 0)
      if pixelData == nil && DICOMTag.imageAttributes.contains(header.tag) {
        values[header.tag] = bytes[header.valueOffset..<end]
      }
      offset = end
    }
    guard let pixelData else {
      throw MedicalImageError.missingAttribute(
        source: source, name: "Pixel Data (7FE0,0010)", detail: "the data set ends without it")
    }
    return DICOMDataSet(
      transferSyntax: transferSyntax, values: values, pixelDataOffset: pixelData.offset,
      pixelDataLength: pixelData.length)
  }

  /// Parses the file meta group (explicit VR little endian): returns its transfer syntax and where the
  /// data set starts.
  private func parseFileMeta(from start: Int) throws -> (DICOMTransferSyntax, Int) {
    var offset = start
    var transferSyntax: DICOMTransferSyntax?
    while offset + 2 <= bytes.count, readUInt16(at: offset) == 0x0002 {
      let header = try elementHeader(at: offset, explicit: true)
      guard header.length != Self.undefinedLength else {
        throw MedicalImageError.corrupt(
          source: source, offset: offset, detail: "undefined length in the file meta group")
      }
      let end = try skipValue(header, at: offset, explicit: true, depth: 0)
      if header.tag == .transferSyntaxUID {
        transferSyntax = DICOMTransferSyntax(
          uid: String(decoding: bytes[header.valueOffset..<end], as: UTF8.self))
      }
      offset = end
    }
    guard offset < bytes.count else {
      throw MedicalImageError.truncated(
        source: source, offset: offset, detail: "no data set after the file meta")
    }
    guard let transferSyntax else {
      throw MedicalImageError.missingAttribute(
        source: source, name: "Transfer Syntax UID (0002,0010)", detail: "absent from the file meta group")
    }
    return (transferSyntax, offset)
  }

  /// One element's tag, VR (nil in implicit VR, and for items and delimiters), length and value offset.
  struct ElementHeader {
    var tag: DICOMTag
    var vr: String?
    var length: UInt32
    var valueOffset: Int
  }

  func elementHeader(at offset: Int, explicit: Bool) throws -> ElementHeader {
    try require(8, at: offset, "an element header")
    let tag = DICOMTag(readUInt16(at: offset)) << 16 | DICOMTag(readUInt16(at: offset + 2))
    if !explicit || tag >> 16 == 0xFFFE {
      return ElementHeader(tag: tag, vr: nil, length: readUInt32(at: offset + 4), valueOffset: offset + 8)
    }
    guard Self.isVR(bytes[offset + 4], bytes[offset + 5]) else {
      throw MedicalImageError.corrupt(
        source: source, offset: offset + 4, detail: "element \(tag.formatted) has no valid VR")
    }
    let vr = String(decoding: bytes[(offset + 4)..<(offset + 6)], as: UTF8.self)
    if Self.longVRs.contains(vr) {
      try require(12, at: offset, "an element header")
      return ElementHeader(tag: tag, vr: vr, length: readUInt32(at: offset + 8), valueOffset: offset + 12)
    }
    return ElementHeader(
      tag: tag, vr: vr, length: UInt32(readUInt16(at: offset + 6)), valueOffset: offset + 8)
  }

  /// The offset just past an element's value; undefined lengths are walked as sequences.
  private func skipValue(_ header: ElementHeader, at offset: Int, explicit: Bool, depth: Int) throws -> Int {
    if header.length == Self.undefinedLength {
      // Undefined length: a sequence (SQ, or any element in implicit VR), UN holding an implicit-VR
      // sequence, or encapsulated OB/OW pixel data (an icon image); all are items up to a delimiter.
      let vr = header.vr ?? "SQ"
      guard ["SQ", "UN", "OB", "OW"].contains(vr) else {
        throw MedicalImageError.corrupt(
          source: source, offset: offset, detail: "undefined length for \(header.tag.formatted) with VR \(vr)"
        )
      }
      return try skipSequence(from: header.valueOffset, explicit: explicit && vr != "UN", depth: depth + 1)
    }
    let end = header.valueOffset + Int(header.length)
    guard end <= bytes.count else {
      throw MedicalImageError.truncated(
        source: source, offset: offset,
        detail:
          "element \(header.tag.formatted) needs \(header.length) bytes, "
          + "\(bytes.count - header.valueOffset) left"
      )
    }
    return end
  }

  /// Walks the items of an undefined-length sequence; returns the offset after its delimiter.
  private func skipSequence(from start: Int, explicit: Bool, depth: Int) throws -> Int {
    guard depth <= Self.maximumSequenceDepth else {
      throw MedicalImageError.corrupt(
        source: source, offset: start, detail: "sequences nested deeper than \(Self.maximumSequenceDepth)")
    }
    var offset = start
    while true {
      let header = try elementHeader(at: offset, explicit: false)
      switch header.tag {
      case .sequenceDelimitation:
        return header.valueOffset
      case .item where header.length == Self.undefinedLength:
        offset = try skipItem(from: header.valueOffset, explicit: explicit, depth: depth)
      case .item:
        offset = try skipValue(header, at: offset, explicit: explicit, depth: depth)
      default:
        throw MedicalImageError.corrupt(
          source: source, offset: offset,
          detail: "expected an item in a sequence, found \(header.tag.formatted)")
      }
    }
  }

  /// Walks the elements of an undefined-length item; returns the offset after its delimiter.
  private func skipItem(from start: Int, explicit: Bool, depth: Int) throws -> Int {
    var offset = start
    while true {
      let header = try elementHeader(at: offset, explicit: explicit)
      if header.tag == .itemDelimitation { return offset + 8 }
      if header.tag >> 16 == 0xFFFE {
        throw MedicalImageError.corrupt(
          source: source, offset: offset, detail: "unexpected \(header.tag.formatted) inside an item")
      }
      offset = try skipValue(header, at: offset, explicit: explicit, depth: depth)
    }
  }

  /// Throws `truncated` unless `count` bytes are available at `offset`.
  func require(_ count: Int, at offset: Int, _ what: String) throws {
    guard offset >= 0, count <= bytes.count - offset else {
      throw MedicalImageError.truncated(
        source: source, offset: offset, detail: "the file ends inside \(what)")
    }
  }

  func readUInt16(at offset: Int) -> UInt16 {
    UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
  }

  func readUInt32(at offset: Int) -> UInt32 {
    UInt32(readUInt16(at: offset)) | UInt32(readUInt16(at: offset + 2)) << 16
  }
}
