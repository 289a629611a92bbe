import EfficientNetDetection
import EfficientNetModels
import Foundation

extension InfoCommand {
  /// Whether to list detectors: `--detectors`, or `--model` naming only detectors.
  var listsDetectors: Bool {
    if detectors { return true }
    guard let model else { return false }
    return model.split(separator: ",").allSatisfy { DetectorRegistry.isDetector(String($0)) }
  }

  /// Prints the detector table (or JSON): the named detectors, `--model`'s, or `--phi`'s.
  func runDetectors() throws {
    if blocks != nil || baseWidth != nil || baseResolution != nil {
      throw CommandError("--blocks, --base-width and --base-resolution describe classifiers, not --detectors")
    }
    if alpha != CompoundScaling.paper.alpha || beta != CompoundScaling.paper.beta
      || gamma != CompoundScaling.paper.gamma
    {
      throw CommandError(
        "--alpha, --beta and --gamma scale classifiers; detectors scale by EfficientDet's own rule (--phi alone)"
      )
    }
    var configurations =
      try model.map { list in
        try list.split(separator: ",").map { try DetectorRegistry.configuration(named: String($0)) }
      } ?? (phi == nil ? DetectorRegistry.all() : [])
    for text in phi?.split(separator: ",") ?? [] {
      guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
        throw CommandError("--phi: '\(text)' is not a number")
      }
      do {
        configurations.append(try DetectorRegistry.compoundScaled(phi: value))
      } catch let error as ArchitectureError {
        throw CommandError("--phi: \(error)")
      }
    }
    let rows = try configurations.map { try DetectorInfoRow(configuration: $0, resolution: resolution) }
    try printRows(rows, table: DetectorInfoRow.table)
  }
}

/// One row of `efficientnet info --detectors`.
struct DetectorInfoRow: Encodable {
  var name: String
  var backbone: String
  var input: Int
  var bifpnChannels: Int
  var bifpnCells: Int
  var headRepeats: Int
  var fusion: String
  var activation: String
  var anchorScale: Double
  var levels: String
  var classes: Int
  var params: Int
  var macs: Int
  var anchors: Int

  init(configuration: DetectorConfiguration, resolution override: Int?) throws {
    let layout = try DetectorLayout(configuration)
    let (height, width) = (override ?? configuration.inputHeight, override ?? configuration.inputWidth)
    let cost = layout.cost(height: height, width: width)
    name = configuration.name
    backbone = configuration.backbone.name
    input = height
    bifpnChannels = configuration.pyramidChannels
    bifpnCells = configuration.pyramidCells
    headRepeats = configuration.headRepeats
    fusion = configuration.fusion == .fastNormalized ? "fast-normalized" : "sum"
    activation = configuration.activation == .relu6 ? "relu6" : "swish"
    anchorScale = configuration.anchorScale
    levels = "P\(configuration.minimumLevel)-P\(configuration.maximumLevel)"
    classes = configuration.classCount
    params = cost.parameters
    macs = cost.multiplyAccumulates
    anchors = layout.anchorCount(height: height, width: width)
  }

  static func table(_ rows: [DetectorInfoRow]) -> String {
    let header = [
      "name", "backbone", "input", "BiFPN", "cells", "head", "fusion", "act", "anchor", "levels", "params",
      "MACs",
    ]
    let cells = rows.map { row in
      [
        row.name, row.backbone, String(row.input), String(row.bifpnChannels), String(row.bifpnCells),
        String(row.headRepeats), row.fusion, row.activation, String(format: "%g", row.anchorScale),
        row.levels,
        TextTable.grouped(row.params), String(format: "%.3fB", Double(row.macs) / 1e9),
      ]
    }
    return TextTable.render(header: header, rows: cells)
  }
}
