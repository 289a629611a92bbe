import EfficientNetImageIO
import Foundation
import XCTest

/// Hand-built DICOM files for cases the real fixtures do not cover, and the window formulas against
/// values worked out by hand from PS3.3 C.11.2.1.2.
final class DICOMSyntheticTests: XCTestCase {
  /// A 2×3 unsigned 16-bit image in the given encoding, with optional extra elements before the image.
  private func smallImage(explicit: Bool, before: (inout DICOMBuilder) -> Void = { _ in }) -> [UInt8] {
    var builder = DICOMBuilder(explicit: explicit)
    builder.text(0x0008, 0x0060, vr: "CS", "CT")
    before(&builder)
    builder.monochromeAttributes(rows: 2, columns: 3)
    builder.pixelData16([0, 100, 200, 300, 400, 65535])
    return builder.bytes
  }

  /// A Part-10 file in Explicit VR Little Endian around `dataSet`.
  private func explicitFile(_ dataSet: [UInt8]) -> Data {
    DICOMBuilder.part10(transferSyntax: "1.2.840.10008.1.2.1", dataSet: dataSet)
  }

  func testDataSetWithoutPreambleIsReadInImplicitAndExplicitVR() throws {
    for explicit in [false, true] {
      let data = Data(smallImage(explicit: explicit))
      XCTAssertTrue(MedicalImageReader.isDICOM(data))
      let image = try DICOMImage(data: data, source: "bare.dcm")
      XCTAssertEqual(image.transferSyntax, explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian)
      XCTAssertEqual(image.storedValues, [0, 100, 200, 300, 400, 65535])
    }
  }

  /// An implicit-VR sequence of undefined length, with an undefined-length item holding another one and
  /// a decoy Rows element, then a defined-length item.
  func testNestedUndefinedLengthSequencesInImplicitVRAreSkipped() throws {
    let bytes = smallImage(explicit: false) { builder in
      builder.header(0x0008, 0x1140, vr: "SQ", length: nil)
      builder.header(0xFFFE, 0xE000, vr: "", length: nil)
      builder.header(0x0040, 0xA043, vr: "SQ", length: nil)
      builder.header(0xFFFE, 0xE000, vr: "", length: nil)
      builder.unsigned(0x0028, 0x0010, 999)
      builder.header(0xFFFE, 0xE00D, vr: "", length: 0)
      builder.header(0xFFFE, 0xE0DD, vr: "", length: 0)
      builder.header(0xFFFE, 0xE00D, vr: "", length: 0)
      builder.header(0xFFFE, 0xE000, vr: "", length: 10)
      builder.unsigned(0x0028, 0x0011, 777)
      builder.header(0xFFFE, 0xE0DD, vr: "", length: 0)
    }
    let image = try DICOMImage(
      data: DICOMBuilder.part10(transferSyntax: "1.2.840.10008.1.2", dataSet: bytes), source: "seq.dcm")
    XCTAssertEqual(image.rows, 2)
    XCTAssertEqual(image.columns, 3)
    XCTAssertEqual(image.storedValues.last, 65535)
  }

  func testSequencesNestedTooDeepAreRefusedWithoutOverflowingTheStack() {
    let bytes = smallImage(explicit: true) { builder in
      for _ in 0..<10_000 {
        builder.header(0x0008, 0x1140, vr: "SQ", length: nil)
        builder.header(0xFFFE, 0xE000, vr: "", length: nil)
      }
    }
    XCTAssertThrowsError(try DICOMImage(data: Data(bytes), source: "deep.dcm")) { error in
      guard case .corrupt(let source, _, let detail) = error as? MedicalImageError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(source, "deep.dcm")
      XCTAssertTrue(detail.contains("nested deeper"), detail)
    }
  }

  /// 12 bits stored at high bit 11, signed: the top four bits are overlay garbage that must be masked,
  /// and 0x800 is -2048.
  func testStoredBitsAreMaskedAndSignExtended() throws {
    var builder = DICOMBuilder(explicit: true)
    builder.monochromeAttributes(rows: 1, columns: 4, bitsStored: 12, signed: true)
    builder.pixelData16([0xF7FF, 0x0800, 0xAFFF, 0x0001])
    let image = try DICOMImage(data: explicitFile(builder.bytes), source: "bits.dcm")
    XCTAssertEqual(image.storedValues, [2047, -2048, -1, 1])
  }

  func testPlanarConfigurationOneIsInterleaved() throws {
    var builder = DICOMBuilder(explicit: true)
    builder.unsigned(0x0028, 0x0002, 3)
    builder.text(0x0028, 0x0004, vr: "CS", "RGB")
    builder.unsigned(0x0028, 0x0006, 1)
    builder.unsigned(0x0028, 0x0010, 1)
    builder.unsigned(0x0028, 0x0011, 2)
    builder.unsigned(0x0028, 0x0100, 8)
    builder.unsigned(0x0028, 0x0101, 8)
    builder.unsigned(0x0028, 0x0103, 0)
    builder.element(0x7FE0, 0x0010, vr: "OB", [10, 11, 20, 21, 30, 31])
    let image = try DICOMImage(data: explicitFile(builder.bytes), source: "planar.dcm")
    XCTAssertEqual(image.storedValues, [10, 20, 30, 11, 21, 31])
    XCTAssertEqual(image.medicalImage().sourceImage().pixels, [10, 20, 30, 11, 21, 31])
  }

  /// Multi-valued Window Center / Width: the first pair; VOI LUT Function LINEAR_EXACT is honoured.
  func testFirstWindowOfSeveralAndItsFunctionAreUsed() throws {
    let bytes = smallImage(explicit: true) { builder in
      builder.text(0x0028, 0x1050, vr: "DS", "200\\40 ")
      builder.text(0x0028, 0x1051, vr: "DS", "400\\80")
      builder.text(0x0028, 0x1056, vr: "CS", "LINEAR_EXACT")
    }
    // Elements must be in tag order for real readers, but ours keeps the last occurrence of each anyway.
    let image = try DICOMImage(data: Data(bytes), source: "window.dcm")
    XCTAssertEqual(image.window, VOIWindow(center: 200, width: 400, function: .linearExact))
    // (x - 200) / 400 + 0.5 for 0, 100, 200, 300, 400 -> 0, 0.25, 0.5, 0.75, 1; 65535 -> 1.
    XCTAssertEqual(image.medicalImage().windowedValues(), [0, 0.25, 0.5, 0.75, 1, 1])
    XCTAssertEqual(image.medicalImage().windowedSamples8(), [0, 64, 128, 191, 255, 255])
  }

  func testLinearWindowFollowsTheStandardFormula() {
    // c = 40, w = 400 (a CT soft-tissue window): below 40 - 0.5 - 199.5 = -160 is 0, above 239 is 1.
    let window = VOIWindow(center: 40, width: 400)
    XCTAssertEqual(window.apply(-160), 0)
    XCTAssertEqual(window.apply(-159), 1.0 / 399, accuracy: 1e-12)
    XCTAssertEqual(window.apply(39.5), 0.5, accuracy: 1e-12)
    XCTAssertEqual(window.apply(239), 1, accuracy: 1e-12)
    XCTAssertEqual(window.apply(239.01), 1)
    // Width 1 is a threshold at c - 0.5.
    XCTAssertEqual(VOIWindow(center: 10, width: 1).apply(9.5), 0)
    XCTAssertEqual(VOIWindow(center: 10, width: 1).apply(9.51), 1)
    XCTAssertEqual(VOIWindow(center: 0, width: 2, function: .sigmoid).apply(0), 0.5)
  }

  func testMinimumMaximumAndFixedWindowsOverrideTheFile() throws {
    let image = try DICOMImage(data: Data(smallImage(explicit: true)), source: "range.dcm").medicalImage()
    XCTAssertNil(image.fileWindow)
    XCTAssertEqual(image.windowedSamples8(.minimumMaximum), image.windowedSamples8())
    XCTAssertEqual(image.windowedSamples8(.minimumMaximum), [0, 0, 1, 1, 2, 255])
    XCTAssertEqual(image.windowedSamples8(.nominalRange), [0, 0, 1, 1, 2, 255])
    XCTAssertEqual(
      image.windowedSamples8(.fixed(VOIWindow(spanning: 0...400))), [0, 64, 128, 191, 255, 255])
  }

  func testWindowWithoutFiniteBoundsGivesBlackInsteadOfTrapping() throws {
    let image = try DICOMImage(data: Data(smallImage(explicit: true)), source: "nan.dcm").medicalImage()
    XCTAssertEqual(image.windowedSamples8(.fixed(VOIWindow(center: .nan, width: 10))), [0, 0, 0, 0, 0, 0])
    XCTAssertEqual(
      image.windowedSamples8(.fixed(VOIWindow(spanning: -Double.infinity...Double.infinity))),
      [0, 0, 0, 0, 0, 0])
  }

  func testPaletteColourAndThirtyTwoBitImagesAreRefusedByName() {
    var palette = DICOMBuilder(explicit: true)
    palette.unsigned(0x0028, 0x0002, 1)
    palette.text(0x0028, 0x0004, vr: "CS", "PALETTE COLOR")
    palette.unsigned(0x0028, 0x0010, 1)
    palette.unsigned(0x0028, 0x0011, 1)
    palette.unsigned(0x0028, 0x0100, 8)
    palette.element(0x7FE0, 0x0010, vr: "OB", [1, 0])
    XCTAssertThrowsError(try DICOMImage(data: explicitFile(palette.bytes), source: "palette.dcm")) { error in
      XCTAssertTrue("\(error)".hasPrefix("palette.dcm: unsupported DICOM pixel format"), "\(error)")
      XCTAssertTrue("\(error)".contains("PALETTE COLOR"), "\(error)")
    }
    var dose = DICOMBuilder(explicit: true)
    dose.unsigned(0x0028, 0x0002, 1)
    dose.text(0x0028, 0x0004, vr: "CS", "MONOCHROME2")
    dose.unsigned(0x0028, 0x0010, 1)
    dose.unsigned(0x0028, 0x0011, 1)
    dose.unsigned(0x0028, 0x0100, 32)
    dose.element(0x7FE0, 0x0010, vr: "OW", [1, 0, 0, 0])
    XCTAssertThrowsError(try DICOMImage(data: explicitFile(dose.bytes), source: "dose.dcm")) { error in
      XCTAssertEqual(
        error as? MedicalImageError,
        .unsupportedPixelFormat(
          source: "dose.dcm", detail: "Bits Allocated 32 in Explicit VR Little Endian (8 or 16 are read)"))
    }
  }

  /// Some writers put an implicit-VR data set under an explicit-VR transfer syntax; it is read anyway.
  func testImplicitDataSetUnderExplicitTransferSyntaxIsDetected() throws {
    let data = explicitFile(smallImage(explicit: false))
    XCTAssertEqual(
      try DICOMImage(data: data, source: "mislabelled.dcm").storedValues, [0, 100, 200, 300, 400, 65535])
  }

  func testFileWithoutDICOMMarkerIsNotDICOM() {
    let data = Data([UInt8](repeating: 7, count: 300))
    XCTAssertFalse(MedicalImageReader.isDICOM(data))
    XCTAssertThrowsError(try DICOMImage(data: data, source: "noise.bin")) { error in
      XCTAssertEqual(error as? MedicalImageError, .notDICOM(source: "noise.bin"))
    }
  }
}
