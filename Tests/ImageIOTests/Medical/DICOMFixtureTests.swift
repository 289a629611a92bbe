import EfficientNetImageIO
import EfficientNetTestSupport
import Foundation
import XCTest

/// Real DICOM files (pydicom's and pydicom-data's test files, and three made from them) read as pydicom
/// reads them: attributes, stored values (exact, or ±1 for JPEG), rescaled values (exact) and the
/// windowed 8-bit image (exact against the script's NumPy VOI LUT).
final class DICOMFixtureTests: XCTestCase {
  func testAttributesMatchPydicom() throws {
    for fixture in try MedicalFixtures.decodable() {
      let image = try DICOMImage(contentsOf: MedicalFixtures.url(fixture.file))
      let name = fixture.file
      XCTAssertEqual(image.transferSyntax.uid, fixture.transferSyntax, name)
      XCTAssertEqual(image.rows, fixture.rows, name)
      XCTAssertEqual(image.columns, fixture.columns, name)
      XCTAssertEqual(image.samplesPerPixel, fixture.samplesPerPixel, name)
      XCTAssertEqual(image.photometricInterpretation, fixture.photometricInterpretation, name)
      XCTAssertEqual(image.bitsAllocated, fixture.bitsAllocated, name)
      XCTAssertEqual(image.bitsStored, fixture.bitsStored, name)
      XCTAssertEqual(image.isSigned, fixture.pixelRepresentation == 1, name)
      XCTAssertEqual(image.numberOfFrames, fixture.numberOfFrames, name)
      XCTAssertEqual(image.rescaleSlope, fixture.rescaleSlope, name)
      XCTAssertEqual(image.rescaleIntercept, fixture.rescaleIntercept, name)
      if image.isMonochrome {
        XCTAssertEqual(image.window?.center, fixture.windowCenter, name)
        XCTAssertEqual(image.window?.width, fixture.windowWidth, name)
      }
    }
  }

  func testStoredValuesEqualPydicomExactlyOrWithinOneForJPEG() throws {
    for fixture in try MedicalFixtures.decodable() {
      let image = try DICOMImage(contentsOf: MedicalFixtures.url(fixture.file))
      let expected = try MedicalFixtures.storedValues(fixture)
      XCTAssertEqual(image.storedValues.count, fixture.rows * fixture.columns * fixture.samplesPerPixel)
      guard image.storedValues.count == expected.count else { continue }
      let difference = maximumDifference(image.storedValues, expected)
      XCTAssertLessThanOrEqual(difference, fixture.lossy ? 1 : 0, fixture.file)
      if !fixture.lossy {
        XCTAssertEqual(image.storedValues.min().map(Int.init), fixture.storedMinimum, fixture.file)
        XCTAssertEqual(image.storedValues.max().map(Int.init), fixture.storedMaximum, fixture.file)
      }
    }
  }

  func testRescaledValuesEqualPydicomModalityLUT() throws {
    for fixture in try MedicalFixtures.decodable() where !fixture.lossy {
      let rescaled = try DICOMImage(contentsOf: MedicalFixtures.url(fixture.file)).rescaledValues
      XCTAssertEqual(CRC32.checksum(rescaled), fixture.rescaledCRC32, fixture.file)
      XCTAssertEqual(Double(rescaled.min() ?? .nan), fixture.rescaledMinimum, fixture.file)
      XCTAssertEqual(Double(rescaled.max() ?? .nan), fixture.rescaledMaximum, fixture.file)
      let mean = rescaled.reduce(0.0) { $0 + Double($1) } / Double(rescaled.count)
      XCTAssertEqual(mean, fixture.rescaledMean, accuracy: 1e-9 * max(1, abs(mean)), fixture.file)
    }
  }

  /// CT_small has a rescale (intercept -1024) but no window: the minimum–maximum window applies.
  func testComputedTomographyIsInHounsfieldUnits() throws {
    let image = try DICOMImage(contentsOf: MedicalFixtures.url("CT_small.dcm"))
    XCTAssertEqual(image.rescaleIntercept, -1024)
    XCTAssertEqual(zip(image.rescaledValues, image.storedValues).filter { $0 != Float($1) - 1024 }.count, 0)
    let medical = image.medicalImage()
    XCTAssertNil(medical.fileWindow)
    XCTAssertEqual(medical.window(for: .automatic), VOIWindow(spanning: medical.valueRange))
  }

  func testWindowedImageEqualsReferenceVOILUT() throws {
    for fixture in try MedicalFixtures.decodable() {
      let image = try DICOMImage(contentsOf: MedicalFixtures.url(fixture.file)).medicalImage()
      let window = image.window(for: .automatic)
      XCTAssertEqual(window.center, fixture.window.center, fixture.file)
      XCTAssertEqual(window.width, fixture.window.width, fixture.file)
      XCTAssertEqual(window.function.rawValue, fixture.window.function, fixture.file)
      let windowed = image.windowedSamples8()
      let expected: [Int32]
      if let file = fixture.windowed {
        expected = [UInt8](try MedicalFixtures.data(file)).map { Int32($0) }
      } else {
        expected = try MedicalFixtures.storedValues(fixture)  // 8-bit colour: the identity
      }
      // JPEG: a ±1 stored difference moves the output by at most ceil(255 / (w - 1)) levels.
      let tolerance = fixture.lossy ? Int((255 / max(1, window.width - 1)).rounded(.up)) : 0
      XCTAssertLessThanOrEqual(maximumDifference(windowed, expected), tolerance, fixture.file)
      let source = image.sourceImage()
      XCTAssertEqual(source.pixels, windowed, fixture.file)
      XCTAssertEqual(source.channels, fixture.samplesPerPixel, fixture.file)
      XCTAssertEqual(source.width, fixture.columns, fixture.file)
    }
  }

  func testImplicitAndExplicitVRGiveTheSameImage() throws {
    let explicit = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small.dcm"))
    let implicit = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small_implicit.dcm"))
    XCTAssertEqual(implicit.transferSyntax, .implicitVRLittleEndian)
    XCTAssertEqual(implicit.storedValues, explicit.storedValues)
    XCTAssertEqual(implicit.window, explicit.window)
  }

  /// The sequences hold decoy Rows = 999 and Columns = 777 inside undefined-length items.
  func testUndefinedLengthSequencesAreSkippedAndTheirItemsIgnored() throws {
    let plain = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small.dcm"))
    let nested = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small_undefined_sequences.dcm"))
    XCTAssertEqual(nested.rows, 64)
    XCTAssertEqual(nested.columns, 64)
    XCTAssertEqual(nested.storedValues, plain.storedValues)
  }

  func testMonochromeOneIsInvertedAfterWindowing() throws {
    let normal = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small.dcm")).medicalImage()
    let inverted = try DICOMImage(contentsOf: MedicalFixtures.url("MR_small_monochrome1.dcm")).medicalImage()
    XCTAssertTrue(inverted.isInverted)
    for (dark, light) in zip(inverted.windowedValues(), normal.windowedValues()) {
      XCTAssertEqual(dark, 1 - light, accuracy: 1e-6)
    }
  }

  /// The chest X-ray file has two frames, a Basic Offset Table, two fragments per frame and two windows.
  func testJPEGFirstFrameIsAssembledFromItsFragments() throws {
    let image = try DICOMImage(contentsOf: MedicalFixtures.url("chest_xray_jpeg_2frames.dcm"))
    XCTAssertEqual(image.numberOfFrames, 2)
    XCTAssertEqual(image.window, VOIWindow(center: 128, width: 200))
    let expected = try MedicalFixtures.storedValues(MedicalFixtures.named("chest_xray_jpeg_2frames.dcm"))
    XCTAssertLessThanOrEqual(maximumDifference(image.storedValues, expected), 1)
    // Frame 2 is frame 1 mirrored: make sure we did not pick it (or glue both frames together).
    let mirrored = (0..<image.rows).flatMap { row in
      expected[(row * image.columns)..<((row + 1) * image.columns)].reversed()
    }
    XCTAssertGreaterThan(maximumDifference(image.storedValues, mirrored), 16)
  }

  func testUnsupportedFilesThrowErrorsNamingFileAndTransferSyntax() throws {
    for fixture in try MedicalFixtures.refused() {
      let url = MedicalFixtures.url(fixture.file)
      XCTAssertThrowsError(try DICOMImage(contentsOf: url), fixture.file) { error in
        guard let error = error as? MedicalImageError else { return XCTFail("\(fixture.file): \(error)") }
        XCTAssertTrue(error.description.hasPrefix(url.path + ": "), error.description)
        switch (fixture.error, error) {
        case ("unsupportedTransferSyntax", .unsupportedTransferSyntax(_, let uid, let name)):
          XCTAssertEqual(uid, fixture.transferSyntax)
          XCTAssertTrue(
            error.description.contains(uid) && error.description.contains(name), error.description)
          XCTAssertTrue(
            name.hasPrefix(fixture.transferSyntaxName.prefix(10)), "\(name) vs \(fixture.transferSyntaxName)")
        case ("unsupportedPixelFormat", .unsupportedPixelFormat), ("truncated", .truncated): break
        default: XCTFail("\(fixture.file): expected \(fixture.error), got \(error)")
        }
      }
    }
  }
}
