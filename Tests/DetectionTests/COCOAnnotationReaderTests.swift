import EfficientNetDetection
import EfficientNetTestSupport
import Foundation
import XCTest

/// The COCO annotation and results readers: what they read, and each kind of bad input refused with an
/// error that names the file and the field.
final class COCOAnnotationReaderTests: XCTestCase {
  static let folder = URL(fileURLWithPath: "/data/images")

  /// A file of one image, one category and `annotations` (JSON text), with `images` replaceable.
  static func file(
    annotations: String = "[]",
    images: String = #"[{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}]"#,
    categories: String = #"[{"id": 3, "name": "tree"}]"#
  ) -> Data {
    Data(#"{"images": \#(images), "annotations": \#(annotations), "categories": \#(categories)}"#.utf8)
  }

  static func annotation(
    _ identifier: Int = 1, image: Int = 1, category: Int = 3, box: String = "[1, 2, 3, 4]"
  )
    -> String
  {
    #"{"id": \#(identifier), "image_id": \#(image), "category_id": \#(category), "bbox": \#(box), "iscrowd": 0}"#
  }

  /// The error reading `data` gives.
  func error(_ data: Data, file: StaticString = #filePath, line: UInt = #line) -> COCOFormatError? {
    assertThrows(
      COCOFormatError.self,
      { try COCOAnnotationReader().read(data, name: "gt.json", imageFolder: Self.folder) },
      file: file, line: line)
  }

  func testReadsImagesAnnotationsCategoriesAndPaths() throws {
    let annotations =
      "[" + Self.annotation(7, box: "[1.5, 2, 30, 40]") + ","
      + #"{"id": 8, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "area": 3.5, "iscrowd": 1, "ignore": true}"#
      + "]"
    let dataset = try COCOAnnotationReader().read(
      Self.file(annotations: annotations), name: "gt.json", imageFolder: Self.folder)
    XCTAssertEqual(dataset.images, [COCOImage(identifier: 1, fileName: "a.jpg", width: 640, height: 480)])
    XCTAssertEqual(dataset.categories, [COCOCategory(identifier: 3, name: "tree")])
    XCTAssertEqual(
      dataset.annotations,
      [
        COCOAnnotation(
          identifier: 7, imageIdentifier: 1, categoryIdentifier: 3, box: [1.5, 2, 30, 40], area: 1200),
        COCOAnnotation(
          identifier: 8, imageIdentifier: 1, categoryIdentifier: 3, box: [0, 0, 2, 2], area: 3.5,
          isCrowd: true,
          isIgnored: true),
      ])
    XCTAssertEqual(dataset.path(of: dataset.images[0]).path, "/data/images/a.jpg")
    XCTAssertEqual(dataset.annotationsByImage()[1]?.count, 2)
    XCTAssertEqual(dataset.categoryIdentifier(classIndex: 1), 3)
    XCTAssertNil(dataset.categoryIdentifier(classIndex: 2))
  }

  func testImagesAreFoundBesideTheFileUnlessAFolderIsGiven() throws {
    let folder = try makeTemporaryFolder("coco")
    let url = folder.appendingPathComponent("annotations.json")
    try Self.file().write(to: url)
    let beside = try COCOAnnotationReader().read(url)
    XCTAssertEqual(beside.path(of: beside.images[0]), folder.appendingPathComponent("a.jpg"))
    let elsewhere = try COCOAnnotationReader().read(url, imageFolder: Self.folder)
    XCTAssertEqual(elsewhere.path(of: elsewhere.images[0]).path, "/data/images/a.jpg")
  }

  func testBoxErrorsNameTheField() {
    let cases: [(String, String)] = [
      ("[1, 2, 3]", "expected 4 numbers"), (#"[1, 2, "3", 4]"#, "expected 4 numbers"),
      ("[1, 2, -3, 4]", "negative width -3.0"), ("[1, 2, 3, -4]", "negative height -4.0"),
    ]
    for (box, problem) in cases {
      let annotations = "[" + Self.annotation(1) + "," + Self.annotation(2, box: box) + "]"
      let error = self.error(Self.file(annotations: annotations))
      XCTAssertEqual(
        error, COCOFormatError(file: "gt.json", field: "annotations[1].bbox", problem: problem), box)
    }
  }

  func testReferenceAndIdentifierErrorsNameTheField() {
    let cases: [(Data, String, String)] = [
      (
        Self.file(annotations: "[" + Self.annotation(image: 9) + "]"), "annotations[0].image_id",
        "9 is not an id of images"
      ),
      (
        Self.file(annotations: "[" + Self.annotation(category: 4) + "]"), "annotations[0].category_id",
        "4 is not an id of categories"
      ),
      (
        Self.file(annotations: "[" + Self.annotation(5) + "," + Self.annotation(5) + "]"),
        "annotations[1].id", "duplicate id 5"
      ),
      (
        Self.file(categories: #"[{"id": 3, "name": "a"}, {"id": 3, "name": "b"}]"#), "categories[1].id",
        "duplicate id 3"
      ),
      (
        Self.file(images: #"[{"id": 1, "file_name": "a.jpg", "width": -640, "height": 480}]"#),
        "images[0].width",
        "expected a positive width, got -640"
      ),
      (Self.file(images: #"[{"id": 1, "width": 640, "height": 480}]"#), "images[0].file_name", "missing"),
      (
        Self.file(images: #"[{"id": 1.5, "file_name": "a", "width": 6, "height": 4}]"#), "images[0].id",
        "expected a whole number"
      ),
      (Self.file(images: "{}"), "images", "expected a list"),
      (
        Self.file(
          annotations: #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "iscrowd": 2}]"#),
        "annotations[0].iscrowd", "expected 0, 1, false or true"
      ),
      (
        Self.file(
          annotations: #"[{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "area": -1}]"#),
        "annotations[0].area", "negative area -1.0"
      ),
    ]
    for (data, field, problem) in cases {
      XCTAssertEqual(
        self.error(data), COCOFormatError(file: "gt.json", field: field, problem: problem), field)
    }
  }

  /// JSON has no non-finite numbers: Foundation's parser refuses `1e999` and `NaN`, and the error says
  /// which value and where (the readers' own finite checks guard parsers that let them through).
  func testNonFiniteNumbersAndBrokenJSONAreRefused() {
    let cases: [(String, String)] = [
      ("[" + Self.annotation(box: "[1, 2, 1e999, 4]") + "]", "1e999"),
      ("[" + Self.annotation(box: "[1, 2, NaN, 4]") + "]", "character"),
    ]
    for (annotations, detail) in cases {
      let error = self.error(Self.file(annotations: annotations))
      XCTAssertEqual(error?.file, "gt.json")
      XCTAssertTrue(error?.problem.hasPrefix("not valid JSON") ?? false, "\(String(describing: error))")
      XCTAssertTrue(error?.problem.contains(detail) ?? false, "\(String(describing: error))")
    }
    XCTAssertTrue(self.error(Data("{\"images\": [".utf8))?.problem.hasPrefix("not valid JSON") ?? false)
  }

  func testFilesAboveTheLimitAreRefusedBeforeReading() throws {
    let folder = try makeTemporaryFolder("coco")
    let url = folder.appendingPathComponent("big.json")
    try Self.file().write(to: url)
    var reader = COCOAnnotationReader()
    reader.sizeLimit = 10
    let error = assertThrows(COCOFormatError.self) { try reader.read(url) }
    XCTAssertEqual(error?.file, url.path)
    XCTAssertTrue(
      error?.problem.hasSuffix("above the limit of 10 bytes") ?? false, "\(String(describing: error))")
    let missing = assertThrows(COCOFormatError.self) {
      try COCOAnnotationReader().read(folder.appendingPathComponent("none.json"))
    }
    XCTAssertTrue(missing?.problem.hasPrefix("cannot be read") ?? false, "\(String(describing: missing))")
  }

  func testResultsReader() throws {
    let good = Data(#"[{"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.25}]"#.utf8)
    XCTAssertEqual(
      try COCOResultsReader().read(good, name: "dt.json"),
      [COCODetectionRecord(imageIdentifier: 1, categoryIdentifier: 3, box: [1, 2, 3, 4], score: 0.25)])
    let cases: [(String, String, String)] = [
      (
        #"[{"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": "high"}]"#, "[0].score",
        "expected a number"
      ),
      (#"[{"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]}]"#, "[0].score", "missing"),
      (#"[{"image_id": 1, "category_id": 3, "bbox": [1, 2], "score": 1}]"#, "[0].bbox", "expected 4 numbers"),
      (#"[1]"#, "[0]", "expected an object"), (#"{}"#, "", "expected a list of detections"),
    ]
    for (text, field, problem) in cases {
      let error = assertThrows(COCOFormatError.self) {
        try COCOResultsReader().read(Data(text.utf8), name: "dt.json")
      }
      XCTAssertEqual(error, COCOFormatError(file: "dt.json", field: field, problem: problem), text)
      XCTAssertEqual(error?.description, "dt.json: " + (field.isEmpty ? "" : field + ": ") + problem)
    }
  }
}
