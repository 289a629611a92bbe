import Foundation
import XCTest

/// The large reference data that lives outside the repository, in a `shared` folder (weights, full-size
/// fixtures, real photos and data sets). Tests that need it skip when it is absent.
public enum SharedData {
  /// The real EfficientNet-Lite0 checkpoint (legacy PyTorch format, F32), which several targets test.
  public static let lite0Checkpoint = "weights/efficientnet-lite0-57934424.pth"

  /// The folders searched, in order: `shared` inside the repository, `shared` beside it (`../shared`),
  /// and `/work/shared`; only `$EFFICIENTNET_SHARED` when that is set (set it to a missing folder to run
  /// the tests as on a machine without the data).
  public static var folders: [URL] {
    if let override = ProcessInfo.processInfo.environment["EFFICIENTNET_SHARED"] {
      return [URL(fileURLWithPath: override)]
    }
    return [
      RepositoryPaths.root.appendingPathComponent("shared"),
      RepositoryPaths.root.deletingLastPathComponent().appendingPathComponent("shared"),
      URL(fileURLWithPath: "/work/shared"),
    ]
  }

  /// The first existing `relativePath` (for example `"weights/x.pth"`) below one of `folders`, or nil.
  public static func url(_ relativePath: String) -> URL? {
    var candidates = folders.map { $0.appendingPathComponent(relativePath) }
    // The reference fixtures may also be named directly, as the WeightIO tests always allowed.
    let referencePrefix = "reference/"
    if relativePath.hasPrefix(referencePrefix),
      let override = ProcessInfo.processInfo.environment["EFFICIENTNET_REFERENCE_DIR"]
    {
      let name = String(relativePath.dropFirst(referencePrefix.count))
      candidates.insert(URL(fileURLWithPath: override).appendingPathComponent(name), at: 0)
    }
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
  }

  /// Like `url(_:)`, but skips the calling test when `relativePath` is absent.
  public static func require(_ relativePath: String) throws -> URL {
    guard let url = url(relativePath) else {
      throw XCTSkip("\(relativePath) is absent (it lives in ../shared only)")
    }
    return url
  }

  /// `url(_:)` for a path written as an absolute `/work/shared/...` path (as some manifests store them);
  /// other paths are returned when they exist.
  public static func relocated(_ absolutePath: String) -> URL? {
    let workPrefix = "/work/shared/"
    if absolutePath.hasPrefix(workPrefix) { return url(String(absolutePath.dropFirst(workPrefix.count))) }
    return FileManager.default.fileExists(atPath: absolutePath) ? URL(fileURLWithPath: absolutePath) : nil
  }
}
