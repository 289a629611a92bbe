/// A DICOM transfer syntax: how the data set and its pixel data are encoded.
public struct DICOMTransferSyntax: Sendable, Equatable, CustomStringConvertible {
  /// The UID, for example "1.2.840.10008.1.2.1".
  public var uid: String

  /// Creates a transfer syntax from its UID (trailing NUL or space padding removed).
  /// - Parameter uid: The Transfer Syntax UID (0002,0010).
  public init(uid: String) {
    var trimmed = Substring(uid)
    while let last = trimmed.last, last == "\u{0}" || last == " " { trimmed.removeLast() }
    self.uid = String(trimmed)
  }

  /// Implicit VR Little Endian, the DICOM default.
  public static let implicitVRLittleEndian = DICOMTransferSyntax(uid: "1.2.840.10008.1.2")
  /// Explicit VR Little Endian.
  public static let explicitVRLittleEndian = DICOMTransferSyntax(uid: "1.2.840.10008.1.2.1")
  /// JPEG Baseline (Process 1): 8-bit lossy JPEG frames in encapsulated pixel data.
  public static let jpegBaseline = DICOMTransferSyntax(uid: "1.2.840.10008.1.2.4.50")

  /// Whether `DICOMImage` decodes pixel data in this syntax.
  public var isSupported: Bool {
    self == .implicitVRLittleEndian || self == .explicitVRLittleEndian || self == .jpegBaseline
  }

  /// Whether data elements carry their VR (all syntaxes except Implicit VR Little Endian).
  var hasExplicitVR: Bool { self != .implicitVRLittleEndian }

  /// Whether the pixel data is encapsulated (compressed frames in items).
  var isEncapsulated: Bool { self == .jpegBaseline }

  /// The standard name (PS3.6 Table A-1), or "unknown transfer syntax".
  public var name: String { Self.names[uid] ?? "unknown transfer syntax" }

  /// "UID (name)".
  public var description: String { "\(uid) (\(name))" }

  private static let names: [String: String] = [
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.98": "Encapsulated Uncompressed Explicit VR Little Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
    "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
    "1.2.840.10008.1.2.4.70":
      "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
    "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless Image Compression",
    "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-Lossless) Image Compression",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.91": "JPEG 2000 Image Compression",
    "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component Image Compression",
    "1.2.840.10008.1.2.4.94": "JPIP Referenced",
    "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
    "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
    "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
    "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
    "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
    "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
    "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
    "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
    "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
    "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.202":
      "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
    "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000 Image Compression",
    "1.2.840.10008.1.2.5": "RLE Lossless",
    "1.2.840.10008.1.2.8.1": "Deflated Image Frame Compression",
  ]
}
