import EfficientNetCore
import EfficientNetModels
import EfficientNetTestSupport
import Foundation
import WeightIO
import XCTest

/// Where the PyTorch fixtures live (made by `Tests/WeightIOTests/Fixtures/pytorch/make_pytorch_fixtures.py`).
enum CheckpointFixtures {
  static let folder = RepositoryPaths.fixtures("WeightIOTests", "pytorch")

  static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

  /// The tiny EfficientNet of the fixtures: a `ds` stage and two `ir` stages of two blocks, all with SE.
  static let tinyConfiguration = Configuration(
    name: "tiny",
    blocks: try! BlockArguments.parseTable(
      "ds_r1_k3_s1_e1_c8_se0.25,ir_r2_k3_s2_e2_c8_se0.25,ir_r2_k5_s2_e3_c16_se0.25"),
    classCount: 5, stemChannels: 8, headChannels: 32)
}

/// Maps the tiny EfficientNet saved under timm's, torchvision's and lukemelas's names back onto timm's.
/// Every float tensor of the fixtures holds `index · 4096 + (element mod 4096)`, with `index` its
/// position in timm's state dict, so a tensor mapped to the wrong name cannot go unnoticed.
final class CheckpointNamingTests: XCTestCase {
  private let schemes: [(file: String, naming: CheckpointNaming)] = [
    ("tiny_timm.pth", .timm), ("tiny_torchvision.pth", .torchvision), ("tiny_lukemelas.pth", .lukemelas),
  ]

  func testSchemesAreDetectedFromTheNames() throws {
    for (file, naming) in schemes {
      let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url(file))
      XCTAssertEqual(try CheckpointNaming.detect(checkpoint.names), naming, file)
    }
    XCTAssertThrowsError(try CheckpointNaming.detect(["encoder.weight", "decoder.bias"], source: "x.pth")) {
      XCTAssertEqual(
        "\($0)",
        "x.pth: the tensor names ('encoder.weight', 'decoder.bias'…) follow none of timm's (conv_stem, "
          + "blocks.*), torchvision's (features.*) or lukemelas's (_conv_stem, _blocks.*) schemes")
    }
  }

  func testTimmFixtureHasExactlyTheParameterSpecsInTimmOrder() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url("tiny_timm.pth"))
    let specs = try CheckpointFixtures.tinyConfiguration.resolve().parameterSpecs()
    let names = checkpoint.names.filter { !$0.hasSuffix("num_batches_tracked") }
    XCTAssertEqual(names, specs.map(\.name))
    for spec in specs { XCTAssertEqual(checkpoint[spec.name]?.shape, spec.shape, spec.name) }
  }

  func testNameTablesReproduceEachSchemeInOrder() throws {
    let architecture = try CheckpointFixtures.tinyConfiguration.resolve()
    for (file, naming) in schemes {
      let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url(file))
      let names = checkpoint.names.filter { !$0.hasSuffix("num_batches_tracked") }
      XCTAssertEqual(naming.nameTable(for: architecture).map(\.name), names, file)
    }
  }

  func testEverySchemeMapsEachTensorOntoItsTimmName() throws {
    let architecture = try CheckpointFixtures.tinyConfiguration.resolve()
    let specs = architecture.parameterSpecs()
    for (file, _) in schemes {
      let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url(file))
      let tensors = try CheckpointNaming.timmTensors(from: checkpoint, architecture: architecture)
      XCTAssertEqual(Set(tensors.keys), Set(specs.map(\.name)), file)
      for (index, spec) in specs.enumerated() {
        let tensor = try XCTUnwrap(tensors[spec.name], "\(file): \(spec.name)")
        XCTAssertEqual(tensor.shape, spec.shape, "\(file): \(spec.name)")
        let expected = (0..<tensor.count).map { Float(index * 4096 + $0 % 4096) }
        XCTAssertEqual(tensor.scalars, expected, "\(file): \(spec.name)")
      }
    }
  }

  func testModelBuildsFromEachSchemeWithClassCountFromTheFile() throws {
    var configuration = CheckpointFixtures.tinyConfiguration
    configuration.classCount = 1000  // replaced by the checkpoint's 5
    var reference: [String: Tensor]?
    for (file, _) in schemes {
      let model = try EfficientNet(
        configuration: configuration, pyTorchCheckpoint: CheckpointFixtures.url(file))
      XCTAssertEqual(model.configuration.classCount, 5, file)
      XCTAssertEqual(model.tensors["classifier.weight"]?.shape, [5, 32], file)
      if let reference { XCTAssertEqual(model.tensors, reference, file) }
      reference = model.tensors
    }
  }

  func testLoadAcceptsEitherFormat() throws {
    let fromCheckpoint = try EfficientNet.load(
      configuration: CheckpointFixtures.tinyConfiguration,
      contentsOf: CheckpointFixtures.url("tiny_lukemelas.pth"))
    XCTAssertEqual(fromCheckpoint.tensors["conv_stem.weight"]?.scalars.first, 0)
    let tinyB0 = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, classCount: 10)
    let safeTensors = Fixtures.directory.appendingPathComponent("tiny_b0.weights.safetensors")
    let fromSafeTensors = try EfficientNet.load(configuration: tinyB0, contentsOf: safeTensors)
    let direct = try EfficientNet(configuration: tinyB0, contentsOf: safeTensors)
    XCTAssertEqual(fromSafeTensors.tensors, direct.tensors)
  }

  /// Asserts that naming `checkpoint`'s tensors for `configuration` fails with exactly `message`.
  private func assertRefused(
    _ checkpoint: PyTorchCheckpoint, _ configuration: Configuration, _ message: String,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let architecture = try configuration.resolve()
    XCTAssertThrowsError(
      try CheckpointNaming.timmTensors(from: checkpoint, architecture: architecture), file: file, line: line
    ) {
      XCTAssertEqual("\($0)", message, file: file, line: line)
    }
  }

  func testWrongArchitectureNamesTheTensorInBothSchemes() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url("tiny_torchvision.pth"))
    // Without squeeze-and-excitation, the SE tensors have no place.
    var noSqueeze = CheckpointFixtures.tinyConfiguration
    noSqueeze.blocks = noSqueeze.blocks.map {
      var block = $0; block.squeezeExcitationRatio = 0; return block
    }
    try assertRefused(
      checkpoint, noSqueeze,
      "\(checkpoint.source): unexpected tensor 'features.1.0.block.1.fc1.weight' (torchvision names): the model "
        + "has no such parameter")
    // With a third block in the last stage, its tensors are missing.
    var deeper = CheckpointFixtures.tinyConfiguration
    deeper.blocks[2].repeats = 3
    try assertRefused(
      checkpoint, deeper,
      "\(checkpoint.source): missing tensor 'features.3.2.block.0.0.weight' (timm 'blocks.2.2.conv_pw.weight'); "
        + "the model needs shape [48, 16, 1, 1]")
    // Wider stem: a shape mismatch named in both schemes.
    var wider = CheckpointFixtures.tinyConfiguration
    wider.stemChannels = 16
    try assertRefused(
      checkpoint, wider,
      "\(checkpoint.source): tensor 'features.0.0.weight' (timm 'conv_stem.weight') has shape [8, 3, 3, 3] "
        + "but the model needs [16, 3, 3, 3]")
  }

  func testNoNamedVariantMatchesTheTinyModel() throws {
    let checkpoint = try PyTorchCheckpoint(contentsOf: CheckpointFixtures.url("tiny_lukemelas.pth"))
    XCTAssertThrowsError(try CheckpointVariantMatching.matchingConfigurations(for: checkpoint)) {
      let text = "\($0)"
      XCTAssertTrue(
        text.contains("no named EfficientNet has exactly this checkpoint's tensors (lukemelas"), text)
      XCTAssertTrue(text.contains("Pass the model name explicitly"), text)
    }
  }
}
