import EfficientNetHub
import EfficientNetModels
import EfficientNetTestSupport
import XCTest

/// The built-in catalog: what it holds, that every entry is usable, and the JSON override.
final class WeightsCatalogTests: XCTestCase {
  let catalog = WeightsCatalog.builtIn

  func testHoldsTorchvisionB0ToB7AndTimmsPortsAndLites() throws {
    XCTAssertEqual(catalog.entries.count, 28)
    XCTAssertEqual(Set(catalog.entries.map(\.name)).count, catalog.entries.count, "names are unique")
    for index in 0...7 {
      XCTAssertEqual(try catalog.entry(forModel: "b\(index)").source, "torchvision", "b\(index)")
      XCTAssertEqual(try catalog.entry(forModel: "tf_b\(index)").name, "tf_efficientnet_b\(index).aa_in1k")
    }
    for index in 0...4 {
      let lite = try catalog.entry(forModel: "tf_lite\(index)")
      XCTAssertEqual(lite.mean, [0.5, 0.5, 0.5])
      XCTAssertEqual(lite.standardDeviation, [0.5, 0.5, 0.5])
      XCTAssertEqual(lite.licence, "Apache-2.0")
    }
    XCTAssertEqual(try catalog.entry(forModel: "lite0").name, "efficientnet_lite0.ra_in1k")
    XCTAssertEqual(
      try catalog.entry(forModel: "b0").url,
      "https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth")
    XCTAssertEqual(try catalog.entry(forModel: "b0").licence, "BSD-3-Clause")
  }

  func testEveryEntryIsUsableAndItsPreprocessingResizesAsPublished() throws {
    for entry in catalog.entries {
      XCTAssertEqual(entry.sha256?.count, 8, entry.name)
      XCTAssertTrue(entry.url.hasSuffix(entry.fileName), entry.name)
      XCTAssertTrue(entry.fileName.contains("-\(entry.sha256 ?? "")."), entry.name)
      XCTAssertEqual(entry.preprocessing.resizeSize, entry.resizeSize, entry.name)
      XCTAssertEqual(entry.preprocessing.resolution, entry.resolution, entry.name)
      XCTAssertNoThrow(try entry.configuration().resolve(), entry.name)
    }
  }

  func testTorchvisionTransformsAndEpsilons() throws {
    let b1 = try catalog.entry(named: "efficientnet_b1.tv2_in1k")
    XCTAssertEqual([b1.resolution, b1.resizeSize], [240, 255])
    XCTAssertEqual(b1.preprocessing.interpolation, .bilinear)
    XCTAssertEqual(try catalog.entry(named: "efficientnet_b5.tv_in1k").configuration().batchNormEpsilon, 1e-3)
    XCTAssertEqual(try catalog.entry(named: "efficientnet_b4.tv_in1k").configuration().batchNormEpsilon, 1e-5)
    XCTAssertEqual(try catalog.entry(named: "tf_efficientnet_b3.aa_in1k").preprocessing.resizeSize, 331)
  }

  func testUnknownNamesAndModelsAreNamedInTheError() {
    XCTAssertThrowsError(try catalog.entry(named: "efficientnet_b9.x")) {
      XCTAssertTrue("\($0)".contains("efficientnet_b9.x"), "\($0)")
    }
    XCTAssertThrowsError(try catalog.entry(forModel: "b8")) {
      XCTAssertTrue("\($0)".contains("efficientnet_b8"), "\($0)")
      XCTAssertTrue("\($0)".contains("--weights"), "\($0)")
    }
    XCTAssertThrowsError(try catalog.entry(forModel: "b0", named: "tf_efficientnet_b3.aa_in1k")) {
      XCTAssertTrue("\($0)".contains("tf_efficientnet_b3"), "\($0)")
    }
  }

  func testCatalogFileReplacesTheBuiltInOneAndIsValidated() throws {
    var entry = try catalog.entry(forModel: "b0")
    entry.name = "efficientnet_b0.test"
    let file = temporaryLocation("catalog.json")
    try JSONEncoder().encode([entry]).write(to: file)
    let loaded = try WeightsCatalog.current(environment: [WeightsCatalog.catalogVariable: file.path])
    XCTAssertEqual(loaded.entries, [entry])

    entry.url = "file:///etc/passwd"
    try JSONEncoder().encode([entry]).write(to: file)
    XCTAssertThrowsError(try WeightsCatalog.current(environment: [WeightsCatalog.catalogVariable: file.path]))
    {
      XCTAssertTrue("\($0)".contains("http"), "\($0)")
      XCTAssertTrue("\($0)".contains(file.path), "\($0)")
    }
    try Data("[{\"name\": 1}]".utf8).write(to: file)
    XCTAssertThrowsError(try WeightsCatalog.current(environment: [WeightsCatalog.catalogVariable: file.path]))
  }

  func testTheHubReadsTheMirrorFromTheEnvironment() throws {
    let entry = try catalog.entry(forModel: "tf_lite2")
    let plain = WeightsHub.standard(environment: ["HOME": "/home/u"])
    XCTAssertNil(plain.mirror)
    XCTAssertEqual(plain.downloadURL(for: entry)?.absoluteString, entry.url)
    let mirrored = WeightsHub.standard(environment: [WeightsHub.mirrorVariable: "http://proxy.local/weights/"]
    )
    XCTAssertEqual(
      mirrored.downloadURL(for: entry)?.absoluteString,
      "http://proxy.local/weights/tf_efficientnet_lite2-dcccb7df.pth")
  }

  func testCacheFolderFollowsXDGThenHome() {
    XCTAssertEqual(
      WeightsCache.standard(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]).folder.path,
      "/x/cache/efficientnet")
    XCTAssertEqual(
      WeightsCache.standard(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]).folder.path,
      "/home/u/.cache/efficientnet")
  }
}
