import Foundation

/// The two block types of EfficientNet's block table.
public enum BlockKind: String, Sendable, Codable {
  /// Depthwise-separable block (`ds`): depthwise k×k, squeeze-and-excitation, 1×1 projection.
  case depthwiseSeparable = "ds"
  /// Inverted residual / MBConv block (`ir`): 1×1 expansion, depthwise k×k, squeeze-and-excitation,
  /// 1×1 projection.
  case invertedResidual = "ir"
}

/// One row of a block table, as timm writes it: `ir_r2_k3_s2_e6_c24_se0.25` means an inverted
/// residual stage of 2 blocks, 3×3 depthwise kernel, stride 2 (first block only), expansion ratio 6,
/// 24 output channels and a squeeze-and-excitation ratio of 0.25 of the block's input channels.
public struct BlockArguments: Equatable, Sendable, CustomStringConvertible {
  /// The block type.
  public var kind: BlockKind
  /// How many blocks the stage repeats before depth scaling.
  public var repeats: Int
  /// The depthwise kernel size (square).
  public var kernelSize: Int
  /// The stride of the stage's first block; the others use stride 1.
  public var stride: Int
  /// The expansion ratio of the 1×1 expansion (1 for `ds` blocks).
  public var expansionRatio: Int
  /// The stage's output channels before width scaling.
  public var outputChannels: Int
  /// The squeeze-and-excitation ratio relative to the block's input channels; 0 means no SE.
  public var squeezeExcitationRatio: Double

  /// Creates block arguments from their parts.
  public init(
    kind: BlockKind, repeats: Int, kernelSize: Int, stride: Int, expansionRatio: Int,
    outputChannels: Int, squeezeExcitationRatio: Double
  ) {
    self.kind = kind
    self.repeats = repeats
    self.kernelSize = kernelSize
    self.stride = stride
    self.expansionRatio = expansionRatio
    self.outputChannels = outputChannels
    self.squeezeExcitationRatio = squeezeExcitationRatio
  }

  /// Decodes one block string such as `ir_r2_k3_s2_e6_c24_se0.25`.
  ///
  /// - Throws: ``ArchitectureError/invalidBlockString(_:reason:)`` naming the string and the bad part.
  public init(parsing text: String) throws {
    let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "_").map(String.init)
    guard let first = parts.first, let kind = BlockKind(rawValue: first) else {
      throw ArchitectureError.invalidBlockString(text, reason: "it must start with 'ds' or 'ir'")
    }
    var repeats: Int?
    var kernel: Int?
    var stride: Int?
    var expansion = 1
    var channels: Int?
    var se = 0.0
    for part in parts.dropFirst() {
      func integer(_ prefix: String) throws -> Int {
        guard let value = Int(part.dropFirst(prefix.count)), value > 0 else {
          throw ArchitectureError.invalidBlockString(text, reason: "'\(part)' needs a positive integer")
        }
        return value
      }
      if part.hasPrefix("se") {
        guard let value = Double(part.dropFirst(2)), value >= 0, value <= 1 else {
          throw ArchitectureError.invalidBlockString(text, reason: "'\(part)' needs a ratio in [0, 1]")
        }
        se = value
      } else if part.hasPrefix("r") {
        repeats = try integer("r")
      } else if part.hasPrefix("k") {
        kernel = try integer("k")
      } else if part.hasPrefix("s") {
        stride = try integer("s")
      } else if part.hasPrefix("e") {
        expansion = try integer("e")
      } else if part.hasPrefix("c") {
        channels = try integer("c")
      } else {
        throw ArchitectureError.invalidBlockString(text, reason: "unknown part '\(part)'")
      }
    }
    guard let repeats, let kernel, let stride, let channels else {
      throw ArchitectureError.invalidBlockString(text, reason: "r, k, s and c are all required")
    }
    if kind == .depthwiseSeparable && expansion != 1 {
      throw ArchitectureError.invalidBlockString(text, reason: "a 'ds' block has expansion 1")
    }
    if stride > 2 {
      throw ArchitectureError.invalidBlockString(text, reason: "stride must be 1 or 2")
    }
    self.init(
      kind: kind, repeats: repeats, kernelSize: kernel, stride: stride, expansionRatio: expansion,
      outputChannels: channels, squeezeExcitationRatio: se)
  }

  /// Checks every field against ``ArchitectureLimits``; throws naming the stage and the field.
  func validate(stage: Int) throws {
    let limits = ArchitectureLimits.self
    let name = "stage \(stage) (\(description))"
    try limits.check(repeats, in: 1...limits.maximumBlockCount, "repeats of \(name)")
    try limits.check(kernelSize, in: 1...limits.maximumKernelSize, "kernel size of \(name)")
    try limits.check(stride, in: 1...2, "stride of \(name)")
    try limits.check(expansionRatio, in: 1...limits.maximumExpansionRatio, "expansion ratio of \(name)")
    try limits.check(outputChannels, in: 1...limits.maximumChannels, "output channels of \(name)")
    try limits.check(squeezeExcitationRatio, in: 0...1, "squeeze-excitation ratio of \(name)")
  }

  /// Decodes a comma-separated block table, one stage per entry.
  public static func parseTable(_ text: String) throws -> [BlockArguments] {
    let rows = text.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    if rows.isEmpty { throw ArchitectureError.invalidBlockString(text, reason: "the table is empty") }
    return try rows.map { try BlockArguments(parsing: $0) }
  }

  /// The block string in timm's notation.
  public var description: String {
    var text = "\(kind.rawValue)_r\(repeats)_k\(kernelSize)_s\(stride)_e\(expansionRatio)_c\(outputChannels)"
    if squeezeExcitationRatio > 0 {
      text += "_se\(squeezeExcitationRatio)"
    }
    return text
  }

  /// EfficientNet-B0's block table (Tan & Le 2019, Table 1).
  public static let efficientNetB0: [BlockArguments] = try! parseTable(
    "ds_r1_k3_s1_e1_c16_se0.25,ir_r2_k3_s2_e6_c24_se0.25,ir_r2_k5_s2_e6_c40_se0.25,"
      + "ir_r3_k3_s2_e6_c80_se0.25,ir_r3_k5_s1_e6_c112_se0.25,ir_r4_k5_s2_e6_c192_se0.25,"
      + "ir_r1_k3_s1_e6_c320_se0.25")

  /// EfficientNet-Lite's block table: B0's without squeeze-and-excitation.
  public static let efficientNetLite: [BlockArguments] = efficientNetB0.map {
    var block = $0
    block.squeezeExcitationRatio = 0
    return block
  }
}
