import EfficientNetHub
import EfficientNetModels
import EfficientNetTestSupport
import WeightIO
import XCTest

/// A real published checkpoint (the legacy Lite0 `.pth` in `../shared`, lukemelas's names) fetched
/// from a local server, verified, converted and cached as safetensors that load without unpickling.
final class ConversionTests: XCTestCase {
  func testARealCheckpointIsConvertedIntoLoadableSafeTensors() throws {
    let checkpoint = try SharedData.require(SharedData.lite0Checkpoint)
    let bytes = try Data(contentsOf: checkpoint)
    var hash = SHA256()
    hash.update(bytes)
    setenv("no_proxy", "127.0.0.1", 1)
    let server = try LocalHTTPServer()
    defer { server.stop() }
    server.serve(bytes, at: "/efficientnet-lite0-57934424.pth")
    let entry = WeightsEntry(
      name: "efficientnet_lite0.shared", model: "efficientnet_lite0", source: "test",
      url: "https://example.invalid/efficientnet-lite0-57934424.pth", sha256: hash.hexDigest(), byteSize: nil,
      licence: "Apache-2.0", resolution: 224, resizeSize: 256, interpolation: "bicubic",
      mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225], batchNormEpsilon: nil)
    let hub = WeightsHub(
      cache: WeightsCache(folder: try makeTemporaryFolder("cache")), mirror: server.baseURL)
    let file = try hub.weights(for: entry)
    let stored = try SafeTensorsFile(contentsOf: file)
    XCTAssertEqual(stored.metadata["weights.entry"], "efficientnet_lite0.shared")
    XCTAssertEqual(stored.metadata["weights.licence"], "Apache-2.0")
    let (model, _) = try EfficientNet.load(contentsOf: file)
    XCTAssertEqual(model.configuration.classCount, 1000)
    let original = try EfficientNet.load(
      configuration: try ModelRegistry.configuration(named: "lite0"), contentsOf: checkpoint)
    XCTAssertEqual(model.parameterCount, original.parameterCount)
    for spec in original.specs.prefix(5) {
      XCTAssertEqual(model.tensors[spec.name]?.scalars, original.tensors[spec.name]?.scalars, spec.name)
    }
  }
}
