import ArgumentParser
import EfficientNetModels
import Foundation

/// `efficientnet info`: the family table, or the models that custom compound coefficients give.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show the EfficientNet family: width, depth, resolution, dropout, parameters and MACs.",
    discussion: """
      Without options, lists every named variant at its native resolution. With --phi, shows the models that compound scaling gives (depth alpha^phi, width beta^phi, resolution gamma^phi) from B0, from --model, or from a custom baseline (--blocks, --base-width, --base-resolution), e.g. the coefficients `efficientnet search` found. With --detectors (or --model naming detectors), lists EfficientDet D0-D7x and Lite0-4 under effdet's names, or with --phi the detectors EfficientDet's own scaling gives (BiFPN width 64*1.35^phi, 3+phi cells, 3+phi/3 head repeats, input 512+128*phi).
      """)

  @Flag(name: .long, help: "Print one JSON array of objects instead of a table.")
  var json = false

  @Flag(
    name: .long,
    help: "List the EfficientDet detectors (D0-D7x, Lite0-4): backbone, input, BiFPN, heads, params, MACs.")
  var detectors = false

  @Option(name: .long, help: "Only these models (comma-separated names or aliases, e.g. b0,lite0).")
  var model: String?

  @Option(
    name: .long, parsing: .unconditional,
    help: "Compound coefficient(s) phi >= 0, comma-separated (e.g. 1.5 or 1,2,3).")
  var phi: String?

  @Option(name: .long, help: "Depth base alpha (default 1.2; only with --phi).")
  var alpha: Double = CompoundScaling.paper.alpha

  @Option(name: .long, help: "Width base beta (default 1.1; only with --phi).")
  var beta: Double = CompoundScaling.paper.beta

  @Option(name: .long, help: "Resolution base gamma (default 1.15; only with --phi).")
  var gamma: Double = CompoundScaling.paper.gamma

  @Option(
    name: .long, help: "A custom block table as the baseline, e.g. 'ds_r1_k3_s1_e1_c16,ir_r2_k3_s2_e6_c24'.")
  var blocks: String?

  @Option(name: .long, help: "Width multiplier of the baseline itself (e.g. 0.5; the scaling multiplies it).")
  var baseWidth: Double?

  @Option(name: .long, help: "Input resolution of the baseline (the scaling multiplies it by gamma^phi).")
  var baseResolution: Int?

  @Option(name: .long, help: "Count MACs at this resolution instead of each model's native one.")
  var resolution: Int?

  func validate() throws {
    if let baseWidth, !(baseWidth > 0 && baseWidth.isFinite) {
      throw ValidationError("--base-width must be positive, got \(baseWidth)")
    }
    try FlagLimits.check(baseResolution, in: FlagLimits.resolution, "--base-resolution")
    try FlagLimits.check(resolution, in: FlagLimits.resolution, "--resolution")
    if phi == nil && !detectors
      && (alpha != CompoundScaling.paper.alpha || beta != CompoundScaling.paper.beta
        || gamma != CompoundScaling.paper.gamma)
    {
      throw ValidationError("--alpha, --beta and --gamma need --phi")
    }
  }

  func run() throws {
    if listsDetectors { return try runDetectors() }
    let configurations = try selectedConfigurations()
    let rows = try configurations.map { try InfoRow(configuration: $0, resolution: resolution) }
    try printRows(rows, table: InfoRow.table)
  }

  /// Prints `rows` as one pretty JSON array with `--json`, else as `table` lays them out.
  func printRows<Row: Encodable>(_ rows: [Row], table: ([Row]) -> String) throws {
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(rows), as: UTF8.self))
    } else {
      print(table(rows))
    }
  }

  private func selectedConfigurations() throws -> [Configuration] {
    var base: [Configuration] =
      try model.map { list in
        try list.split(separator: ",").map { try ModelRegistry.configuration(named: String($0)) }
      } ?? ModelRegistry.variants.map(\.configuration)
    if blocks != nil || baseWidth != nil || baseResolution != nil {
      if model == nil { base = [Configuration()] }
      base = try base.map {
        try ScalingOptions.customBaseline(
          $0, blocks: blocks, baseWidth: baseWidth, baseResolution: baseResolution)
      }
    }
    guard let phi else { return base }
    if model == nil && blocks == nil && baseWidth == nil && baseResolution == nil { base = [Configuration()] }
    let scaling = CompoundScaling(alpha: alpha, beta: beta, gamma: gamma)
    var result: [Configuration] = []
    for text in phi.split(separator: ",") {
      guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
        throw CommandError("--phi: '\(text)' is not a number")
      }
      for configuration in base {
        do {
          result.append(try ModelRegistry.compoundScaled(phi: value, scaling: scaling, base: configuration))
        } catch let error as ArchitectureError {
          throw CommandError("--\(error.optionName): \(error)")
        }
      }
    }
    return result
  }
}

extension ArchitectureError {
  /// The command-line option a value error came from.
  var optionName: String {
    if case .invalidValue(let name, _, _) = self { return name }
    return "model"
  }
}

/// One row of `efficientnet info`.
struct InfoRow: Encodable {
  var name: String
  var width: Double
  var depth: Double
  var resolution: Int
  var dropout: Double
  var params: Int
  var macs: Int

  init(configuration: Configuration, resolution override: Int?) throws {
    let architecture = try configuration.resolve()
    let resolution = override ?? configuration.resolution
    let cost = architecture.cost(height: resolution, width: resolution)
    name = configuration.name
    width = (configuration.widthMultiplier * 1e6).rounded() / 1e6
    depth = (configuration.depthMultiplier * 1e6).rounded() / 1e6
    self.resolution = resolution
    dropout = configuration.dropoutRate
    params = cost.parameters
    macs = cost.multiplyAccumulates
  }

  static func table(_ rows: [InfoRow]) -> String {
    let header = ["name", "width", "depth", "resolution", "dropout", "params", "MACs"]
    let cells = rows.map { row in
      [
        row.name, format(row.width), format(row.depth), String(row.resolution), format(row.dropout),
        TextTable.grouped(row.params), String(format: "%.3fB", Double(row.macs) / 1e9),
      ]
    }
    return TextTable.render(header: header, rows: cells)
  }

  private static func format(_ value: Double) -> String {
    value == value.rounded() ? String(format: "%.1f", value) : String(format: "%g", value)
  }
}
