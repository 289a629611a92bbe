import Foundation

/// Where published weights are kept: `$XDG_CACHE_HOME/efficientnet`, else `~/.cache/efficientnet`.
///
/// The folder holds one converted safetensors file per entry (`<entry>.safetensors`, F32, timm's names,
/// the configuration in its header) and, while a download is in progress or was interrupted,
/// `downloads/<published file name>.partial`. The published file itself is not kept: once it is
/// verified and converted, the partial file is deleted.
public struct WeightsCache: Sendable {
  /// The cache folder.
  public var folder: URL

  /// A cache in `folder`.
  public init(folder: URL) { self.folder = folder }

  /// The cache the environment names: `$XDG_CACHE_HOME/efficientnet` when that is an absolute path,
  /// else `$HOME/.cache/efficientnet`.
  public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> WeightsCache
  {
    if let base = environment["XDG_CACHE_HOME"], base.hasPrefix("/") {
      return WeightsCache(folder: URL(fileURLWithPath: base).appendingPathComponent("efficientnet"))
    }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return WeightsCache(
      folder: URL(fileURLWithPath: home).appendingPathComponent(".cache").appendingPathComponent(
        "efficientnet"))
  }

  /// The converted weights of `entry`.
  public func convertedFile(for entry: WeightsEntry) -> URL {
    folder.appendingPathComponent(entry.name + ".safetensors")
  }

  /// The file a download of `entry` is written to until it is complete and verified.
  public func partialFile(for entry: WeightsEntry) -> URL {
    folder.appendingPathComponent("downloads").appendingPathComponent(entry.fileName + ".partial")
  }

  /// Whether `entry`'s converted weights are in the cache.
  public func contains(_ entry: WeightsEntry) -> Bool {
    var isFolder: ObjCBool = false
    return FileManager.default.fileExists(atPath: convertedFile(for: entry).path, isDirectory: &isFolder)
      && !isFolder.boolValue
  }

  /// Makes the cache and download folders.
  ///
  /// - Throws: ``HubError/cacheUnwritable(path:reason:)``.
  func prepare() throws {
    let downloads = folder.appendingPathComponent("downloads")
    do {
      try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
    } catch {
      throw HubError.cacheUnwritable(path: folder.path, reason: (error as NSError).localizedDescription)
    }
  }
}
