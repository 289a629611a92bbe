import EfficientNetModels
import XCTest

final class NetworkLayoutTests: XCTestCase {
  private func layout(_ name: String) throws -> NetworkLayout {
    try ModelRegistry.configuration(named: name).resolve().layout
  }

  /// B0: a stem, 16 blocks (the first depthwise-separable), a head and a classifier, in execution order.
  func testLayersComeInExecutionOrderWithTypedIdentities() throws {
    let b0 = try layout("b0")
    XCTAssertEqual(b0.blocks.count, 16)
    XCTAssertNil(b0.blocks[0].expansion)
    XCTAssertEqual(
      b0.blocks[0].layers.map(\.role), [.depthwise, .squeezeReduce, .squeezeExpand, .projection])
    XCTAssertEqual(
      b0.blocks[1].layers.map(\.role), [.expansion, .depthwise, .squeezeReduce, .squeezeExpand, .projection])
    let roles = b0.layers.map(\.role)
    XCTAssertEqual(roles.first, .stem)
    XCTAssertEqual(Array(roles.suffix(2)), [.head, .classifier])
    XCTAssertEqual(roles.count, 1 + 4 + 15 * 5 + 2)
    let depthwise = b0.blocks[4].depthwise
    XCTAssertEqual(depthwise.identity.block, BlockPosition(b0.architecture.stages[2][1]))
    XCTAssertEqual(depthwise.weightShape, [240, 1, 5, 5])
    XCTAssertEqual(depthwise.identity.description, "block 2.1 depthwise")
    XCTAssertEqual(b0.layer(depthwise.identity), depthwise)
    XCTAssertNil(try layout("lite0").blocks[0].squeezeExcitation)
  }

  /// The same layer under the three schemes' names (ds block 0.0 and MBConv block 1.0 of B0).
  func testNamesInEachSchemeComeFromTheStructure() throws {
    let b0 = try layout("b0")
    let separable = b0.blocks[0]
    let mbconv = b0.blocks[1]
    func names(_ layer: NetworkLayer, _ naming: CheckpointNaming) -> LayerNames {
      b0.names(of: layer.identity, in: naming)
    }
    XCTAssertEqual(
      names(separable.projection, .timm),
      LayerNames(module: "blocks.0.0.conv_pw", normalization: "blocks.0.0.bn2"))
    XCTAssertEqual(names(separable.projection, .torchvision).module, "features.1.0.block.2.0")
    XCTAssertEqual(names(separable.squeezeExpand!, .torchvision).module, "features.1.0.block.1.fc2")
    XCTAssertEqual(
      names(mbconv.expansion!, .lukemelas),
      LayerNames(module: "_blocks.1._expand_conv", normalization: "_blocks.1._bn0"))
    XCTAssertEqual(names(mbconv.projection, .torchvision).normalization, "features.2.0.block.3.1")
    XCTAssertEqual(names(b0.head, .torchvision).module, "features.8.0")
    XCTAssertEqual(
      b0.parameterName(.runningVariance, of: mbconv.depthwise.identity), "blocks.1.0.bn2.running_var")
    XCTAssertEqual(b0.parameterName(.linearWeight, of: b0.classifier!.identity, in: .lukemelas), "_fc.weight")
    // Lite0 has no SE: torchvision's projection closes up to block.2.
    let lite = try layout("lite0")
    XCTAssertEqual(
      lite.names(of: lite.blocks[1].projection.identity, in: .torchvision).module, "features.2.0.block.2.0")
  }

  /// Every parameter belongs to the layer the layout says, and the specs cover the layers exactly.
  func testParameterSpecsBelongToTheirLayers() throws {
    let b0 = try layout("b0")
    let specs = b0.parameterSpecs
    XCTAssertEqual(specs.count, Set(specs.map(\.name)).count)
    for layer in b0.layers {
      let own = specs.filter { $0.layer == layer.identity }
      XCTAssertEqual(
        own.count, 1 + (layer.hasBias ? 1 : 0) + (layer.isNormalized ? 4 : 0), "\(layer.identity)")
      XCTAssertEqual(own.first?.shape, layer.weightShape, "\(layer.identity)")
    }
    XCTAssertEqual(specs.filter(\.role.isTrainable).reduce(0) { $0 + $1.elementCount }, 5_288_548)
  }
}
