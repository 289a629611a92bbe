import Foundation

extension Configuration {
  /// Every field that shapes the network (and its evaluation preprocessing), as strings for a
  /// safetensors header, so that a file of a model that is not a named variant — compound-scaled
  /// with custom coefficients, or with a custom block table — can be loaded without naming it.
  public var architectureMetadata: [String: String] {
    [
      "model": name, "blocks": blocks.map(\.description).joined(separator: ","),
      "width": "\(widthMultiplier)", "depth": "\(depthMultiplier)", "resolution": "\(resolution)",
      "dropout": "\(dropoutRate)", "drop_path": "\(dropConnectRate)", "num_classes": "\(classCount)",
      "input_channels": "\(inputChannels)", "activation": activation.rawValue, "padding": padding.rawValue,
      "batch_norm_epsilon": "\(batchNormEpsilon)", "stem_channels": "\(stemChannels)",
      "head_channels": "\(headChannels)", "fix_stem_and_head": "\(fixStemAndHead)",
      "fix_first_and_last_repeats": "\(fixFirstAndLastRepeats)", "channel_divisor": "\(channelDivisor)",
      "crop_fraction": "\(cropFraction)",
    ]
  }

  /// Rebuilds a configuration from ``architectureMetadata``; nil when a field is missing or malformed
  /// (files written before these fields existed).
  public init?(architectureMetadata metadata: [String: String]) {
    func number(_ key: String) -> Double? { metadata[key].flatMap(Double.init) }
    func integer(_ key: String) -> Int? { metadata[key].flatMap { Int($0) } }
    func flag(_ key: String) -> Bool? { metadata[key].flatMap { Bool($0) } }
    guard let name = metadata["model"], let table = metadata["blocks"],
      let blocks = try? BlockArguments.parseTable(table), let width = number("width"),
      let depth = number("depth"), let resolution = integer("resolution"), let dropout = number("dropout"),
      let dropPath = number("drop_path"), let classes = integer("num_classes"),
      let channels = integer("input_channels"),
      let activation = metadata["activation"].flatMap(ActivationKind.init(rawValue:)),
      let padding = metadata["padding"].flatMap(PaddingMode.init(rawValue:)),
      let epsilon = number("batch_norm_epsilon"), let stem = integer("stem_channels"),
      let head = integer("head_channels"), let fixStemAndHead = flag("fix_stem_and_head"),
      let fixRepeats = flag("fix_first_and_last_repeats"), let divisor = integer("channel_divisor"),
      let crop = number("crop_fraction")
    else { return nil }
    self.init(
      name: name, blocks: blocks, widthMultiplier: width, depthMultiplier: depth, resolution: resolution,
      dropoutRate: dropout, dropConnectRate: dropPath, classCount: classes, inputChannels: channels,
      activation: activation, padding: padding, batchNormEpsilon: epsilon, stemChannels: stem,
      headChannels: head, fixStemAndHead: fixStemAndHead, fixFirstAndLastRepeats: fixRepeats,
      channelDivisor: divisor, cropFraction: crop)
    guard (try? validate()) != nil else { return nil }
  }
}
