import Foundation

/// Folders of this repository, found from this file's own path, so tests run from any working folder.
public enum RepositoryPaths {
  /// The repository root (the folder holding `Package.swift`).
  public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// `Tests/<target>`.
  public static func tests(_ target: String) -> URL {
    root.appendingPathComponent("Tests").appendingPathComponent(target)
  }

  /// `Tests/<target>/Fixtures`, or the file or folder `relativePath` inside it.
  public static func fixtures(_ target: String, _ relativePath: String = "") -> URL {
    let folder = tests(target).appendingPathComponent("Fixtures")
    return relativePath.isEmpty ? folder : folder.appendingPathComponent(relativePath)
  }

  /// `Samples`, the example photos shipped with the repository.
  public static let samples = root.appendingPathComponent("Samples")

  /// The file or folder `relativePath` below the repository root.
  public static func file(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }
}
