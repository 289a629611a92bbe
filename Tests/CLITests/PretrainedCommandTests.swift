import EfficientNetHub
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// `--pretrained`, `efficientnet weights` and the cache, against a server on 127.0.0.1 that serves the
/// shipped Lite0 weights under a catalog entry (`EFFICIENTNET_WEIGHTS_CATALOG`) whose SHA-256 the test
/// computes.
final class PretrainedCommandTests: XCTestCase {
  private let shipped = RepositoryPaths.file(
    "Sources/EfficientNetModels/Resources/efficientnet_lite0.safetensors")
  private let photo = RepositoryPaths.fixtures("ModelTests", "photos/coffee.jpg")
  private var server: LocalHTTPServer!
  private var environment: [String: String] = [:]

  override func setUpWithError() throws {
    server = try LocalHTTPServer()
    let bytes = try Data(contentsOf: shipped)
    server.serve(bytes, at: "/efficientnet_lite0-test.safetensors")
    var hash = SHA256()
    hash.update(bytes)
    let entry: [String: Any] = [
      "name": "efficientnet_lite0.test", "model": "efficientnet_lite0", "source": "test",
      "url": "https://weights.example.invalid/efficientnet_lite0-test.safetensors",
      "sha256": hash.hexDigest(), "licence": "Apache-2.0", "resolution": 224, "resizeSize": 256,
      "interpolation": "bicubic", "mean": [0.485, 0.456, 0.406], "standardDeviation": [0.229, 0.224, 0.225],
    ]
    let catalog = temporaryLocation("catalog.json")
    try JSONSerialization.data(withJSONObject: [entry]).write(to: catalog)
    environment = [
      "XDG_CACHE_HOME": try makeTemporaryFolder("cache").path, "EFFICIENTNET_WEIGHTS_CATALOG": catalog.path,
      "EFFICIENTNET_WEIGHTS_MIRROR": server.baseURL,
      // A proxy in the test's environment must not stand between the tool and the local server.
      "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1",
    ]
  }

  override func tearDown() { server.stop() }

  func testClassifyFetchesOnceThenUsesTheCacheAndWeightsListsIt() throws {
    let listed = try CLITool.run(["weights"], environment: environment)
    XCTAssertEqual(listed.status, 0, listed.error)
    XCTAssertTrue(listed.output.contains("efficientnet_lite0.test"), listed.output)
    XCTAssertTrue(listed.output.contains("(0 of 1 entries cached)"), listed.output)

    let first = try CLITool.run(
      ["classify", "--model", "lite0", "--pretrained", photo.path], environment: environment)
    XCTAssertEqual(first.status, 0, first.error)
    XCTAssertTrue(first.error.contains("downloading efficientnet_lite0.test"), first.error)
    let reference = try CLITool.run(["classify", photo.path])
    XCTAssertEqual(first.output, reference.output, "the same weights and preprocessing as the shipped ones")
    XCTAssertEqual(server.requests.count, 1)

    let second = try CLITool.run(
      ["classify", "--pretrained-entry", "efficientnet_lite0.test", "--model", "lite0", photo.path],
      environment: environment)
    XCTAssertEqual(second.status, 0, second.error)
    XCTAssertFalse(second.error.contains("downloading"), second.error)
    XCTAssertEqual(server.requests.count, 1, "a cached entry makes no request")

    let after = try CLITool.run(["weights"], environment: environment)
    XCTAssertTrue(after.output.contains("(1 of 1 entries cached)"), after.output)
    XCTAssertTrue(after.output.contains(environment["XDG_CACHE_HOME"]! + "/efficientnet"), after.output)
  }

  func testWeightsFetchFillsTheCacheAheadOfUse() throws {
    let fetched = try CLITool.run(["weights", "--fetch", "lite0"], environment: environment)
    XCTAssertEqual(fetched.status, 0, fetched.error)
    XCTAssertTrue(fetched.output.contains("(1 of 1 entries cached)"), fetched.output)
    let json = try CLITool.run(["weights", "--json"], environment: environment)
    XCTAssertTrue(json.output.contains("\"cached\":\""), json.output)
    XCTAssertTrue(json.output.contains(server.baseURL + "/efficientnet_lite0-test.safetensors"), json.output)
    let unknown = try CLITool.run(["weights", "--fetch", "b9"], environment: environment)
    XCTAssertNotEqual(unknown.status, 0)
    XCTAssertTrue(unknown.error.contains("b9"), unknown.error)
    XCTAssertEqual(server.requests.count, 1)
  }

  func testClassifyUsesTheEntrysPreprocessing() throws {
    // The same file under an entry measured with another transform: crop 224 of 224, bilinear, 0.5/0.5.
    let catalogPath = try XCTUnwrap(environment["EFFICIENTNET_WEIGHTS_CATALOG"])
    var entries = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: catalogPath)))
        as? [[String: Any]])
    entries[0]["name"] = "efficientnet_lite0.other"
    entries[0]["resizeSize"] = 224
    entries[0]["interpolation"] = "bilinear"
    entries[0]["mean"] = [0.5, 0.5, 0.5]
    entries[0]["standardDeviation"] = [0.5, 0.5, 0.5]
    try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: catalogPath))
    let other = try CLITool.run(
      ["classify", "--model", "lite0", "--pretrained", photo.path], environment: environment)
    XCTAssertEqual(other.status, 0, other.error)
    let reference = try CLITool.run(["classify", photo.path])
    XCTAssertNotEqual(other.output, reference.output, "the entry's transform, not the variant's, was used")
    XCTAssertEqual(
      other.output.split(separator: "\n").first, reference.output.split(separator: "\n").first, "same image")
  }

  func testWithoutANetworkTheErrorNamesTheURLAndHowToPassWeights() throws {
    let port = server.port
    server.stop()
    var offline = environment
    offline["EFFICIENTNET_WEIGHTS_MIRROR"] = "http://127.0.0.1:\(port)"
    let result = try CLITool.run(
      [
        "embed", "--model", "lite0", "--pretrained", "--output", temporaryLocation("e.safetensors").path,
        photo.path,
      ], environment: offline)
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(
      result.error.contains("http://127.0.0.1:\(port)/efficientnet_lite0-test.safetensors"), result.error)
    XCTAssertTrue(result.error.contains("--weights efficientnet_lite0-test.safetensors"), result.error)
    XCTAssertFalse(result.error.contains("Fatal"), result.error)
  }

  func testAModelWithoutPublishedWeightsSaysSoAndPretrainedWithWeightsIsRefused() throws {
    let missing = try CLITool.run(["classify", "--model", "b3", photo.path], environment: environment)
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.error.contains("no published weights are known for efficientnet_b3"), missing.error)
    let both = try CLITool.run(
      ["classify", "--pretrained", "--weights", shipped.path, photo.path], environment: environment)
    XCTAssertNotEqual(both.status, 0)
    XCTAssertTrue(both.error.contains("--pretrained and --weights"), both.error)
    XCTAssertEqual(server.requests.count, 0)
  }

  func testTrainPretrainedStartsFromTheFetchedWeightsWithTheFinetuneRecipe() throws {
    let data = temporaryLocation("data.csv")
    let rows = (0..<16).map { index in
      ((0..<64).map { String(($0 % 8 < 4) == (index % 2 == 0) ? 200 : 40) } + [String(index % 2)]).joined(
        separator: ",")
    }
    try (rows.joined(separator: "\n") + "\n").write(to: data, atomically: true, encoding: .utf8)
    let output = temporaryLocation("run")
    let result = try CLITool.run(
      [
        "train", "--model", "lite0", "--pretrained", "--data", data.path, "--val-split", "0.25",
        "--resolution", "32",
        "--epochs", "1", "--batch-size", "8", "--output", output.path,
      ], environment: environment)
    XCTAssertEqual(result.status, 0, result.error)
    XCTAssertTrue(result.error.contains("settings (recipe finetune"), result.error)
    XCTAssertEqual(server.requests.count, 1)
    let checkpoint = try SafeTensorsFile(contentsOf: output.appendingPathComponent("checkpoint.safetensors"))
    let options = try XCTUnwrap(checkpoint.metadata["train.options"])
    XCTAssertTrue(options.contains("\"--pretrained\":\"true\""), options)
  }
}
