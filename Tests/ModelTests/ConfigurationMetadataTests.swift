import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// A model that is not a named variant (compound-scaled with custom coefficients from a custom
/// baseline) round-trips through safetensors without being named: its header describes it.
final class ConfigurationMetadataTests: XCTestCase {
  func testCustomScaledModelLoadsBackFromItsHeaderAlone() throws {
    var base = try ModelRegistry.configuration(named: "efficientnet_lite0")
    base.blocks = try BlockArguments.parseTable("ds_r1_k3_s1_e1_c16,ir_r2_k5_s2_e6_c24_se0.25")
    base.widthMultiplier = 0.5
    base.resolution = 48
    base.classCount = 7
    let scaled = try ModelRegistry.compoundScaled(
      phi: 1, scaling: CompoundScaling(alpha: 1.5, beta: 1.2, gamma: 1.25), base: base)
    XCTAssertThrowsError(try ModelRegistry.configuration(named: scaled.name), "not a named variant")
    let model = EfficientNet(architecture: try scaled.resolve(), seed: 3)
    let url = temporaryLocation("scaled.safetensors")
    try model.safeTensors().write(to: url)

    let (loaded, note) = try EfficientNet.load(contentsOf: url)
    XCTAssertNil(note)
    XCTAssertEqual(loaded.configuration, scaled)
    XCTAssertEqual(loaded.configuration.resolution, 60)  // 48 · 1.25
    XCTAssertEqual(Set(loaded.tensors.keys), Set(model.tensors.keys))
    for (name, tensor) in model.tensors {
      XCTAssertEqual(loaded.tensors[name]?.scalars, tensor.scalars, name)
    }
  }

  func testMetadataOfEveryNamedVariantRebuildsItExactly() throws {
    for variant in ModelRegistry.variants {
      let rebuilt = Configuration(architectureMetadata: variant.configuration.architectureMetadata)
      XCTAssertEqual(rebuilt, variant.configuration, variant.name)
    }
    var broken = Configuration().architectureMetadata
    broken["blocks"] = "not a block"
    XCTAssertNil(Configuration(architectureMetadata: broken))
    broken = Configuration().architectureMetadata
    broken["width"] = "-1"
    XCTAssertNil(Configuration(architectureMetadata: broken), "fails validation")
  }
}
