import EfficientNetImageIO
import EfficientNetTraining
import Foundation
import XCTest

final class DataImageFolderTests: XCTestCase {
  func testClassesAreSortedFoldersAndFilesAreImagesOnly() throws {
    let dataset = try ImageFolderDataset(root: DataFixtures.url("folder"))
    XCTAssertEqual(dataset.classNames, ["cat", "dog"])
    // Extensions match case-insensitively; notes.txt and the hidden file are skipped; names sorted.
    XCTAssertEqual(
      dataset.files.map(\.lastPathComponent), ["a_gray.PNG", "b_rgb.png", "photo.JPG", "photo2.jpeg"])
    XCTAssertEqual(dataset.labels, [0, 0, 1, 1])
    XCTAssertEqual(dataset.classCounts(), [2, 2])
    XCTAssertEqual(dataset.label(at: 3), 1)
    XCTAssertTrue(dataset.source(at: 1).hasSuffix("folder/cat/b_rgb.png"))
  }

  func testGrayFilesStayOneChannelAndColourFilesAreRGB() throws {
    let dataset = try ImageFolderDataset(root: DataFixtures.url("folder"))
    let gray = try dataset.image(at: 0)
    XCTAssertEqual([gray.width, gray.height, gray.channels], [8, 8, 1])
    let rgb = try dataset.image(at: 1)
    XCTAssertEqual([rgb.width, rgb.height, rgb.channels], [8, 8, 3])
    for y in 0..<8 {
      for x in 0..<8 {
        XCTAssertEqual(DataFixtures.sample(gray, x, y), DataFixtures.pattern(x: x, y: y, channel: 0))
        for channel in 0..<3 {
          XCTAssertEqual(
            DataFixtures.sample(rgb, x, y, channel), DataFixtures.pattern(x: x, y: y, channel: channel))
        }
      }
    }
    // JPEG is lossy: close to the pattern on average.
    let jpeg = try dataset.image(at: 2)
    XCTAssertEqual([jpeg.width, jpeg.height, jpeg.channels], [8, 8, 3])
    let error = zip(jpeg.pixels, rgb.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
    XCTAssertLessThan(Double(error) / Double(jpeg.pixels.count), 12)
  }

  func testMissingRootIsNamed() {
    assertDatasetError(
      try ImageFolderDataset(root: DataFixtures.url("no_such_folder")),
      contains: ["no_such_folder", "no such file"])
  }

  func testRootThatIsAFileIsNamed() {
    assertDatasetError(
      try ImageFolderDataset(root: DataFixtures.url("tiny.csv")), contains: ["tiny.csv", "not a folder"])
  }

  func testRootWithoutClassFoldersIsNamed() {
    assertDatasetError(
      try ImageFolderDataset(root: DataFixtures.url("folder_no_classes")),
      contains: ["folder_no_classes", "no class folders"])
  }

  func testClassFolderWithoutImagesIsNamed() {
    assertDatasetError(
      try ImageFolderDataset(root: DataFixtures.url("folder_empty_class")),
      contains: ["folder_empty_class/b", "no .jpg, .jpeg or .png"])
  }

  func testUnreadableImageThrowsNamingTheFile() throws {
    let dataset = try ImageFolderDataset(root: DataFixtures.url("folder_with_broken_file"))
    XCTAssertEqual(dataset.files.map(\.lastPathComponent), ["broken.png", "good.png"])
    XCTAssertThrowsError(try dataset.image(at: 0)) { error in
      XCTAssertTrue("\(error)".contains("folder_with_broken_file/a/broken.png"), "\(error)")
    }
    XCTAssertNoThrow(try dataset.image(at: 1))
  }

  func testSharedChestXraysAreGrayImagesInTwoClasses() throws {
    let url = try DataFixtures.sharedData("chest-xray-16")
    let dataset = try ImageFolderDataset(root: url)
    XCTAssertEqual(dataset.classNames, ["NORMAL", "PNEUMONIA"])
    XCTAssertEqual(dataset.classCounts(), [8, 8])
    let first = try dataset.image(at: 0)
    XCTAssertEqual([first.width, first.height, first.channels], [1776, 1416, 1])
  }
}
