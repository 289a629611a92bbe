import EfficientNetModels
import Foundation

/// Fetches published weights by catalog entry into the cache: downloaded (from the publisher's URL or
/// the mirror) to a partial file, checked, converted to safetensors, and only then put in place.
///
/// A cached entry is returned without any request. An interrupted download is resumed next time; a
/// file that fails its check is deleted and never cached.
public struct WeightsHub: Sendable {
  /// The environment variable naming a mirror that serves the published file names
  /// (`$EFFICIENTNET_WEIGHTS_MIRROR/<file name>`), e.g. an offline site or a proxy.
  public static let mirrorVariable = "EFFICIENTNET_WEIGHTS_MIRROR"

  /// Turns a verified download into the cached file (`destination`, written atomically).
  public typealias Converter =
    @Sendable (_ download: URL, _ entry: WeightsEntry, _ destination: URL) throws -> Void

  /// Where the weights are kept.
  public var cache: WeightsCache
  /// The mirror's base URL, or nil for the publishers' URLs.
  public var mirror: String?
  /// Retries, timeouts and the size limit of each download.
  public var policy: DownloadPolicy

  /// A hub over `cache`, fetching from `mirror` when given.
  public init(cache: WeightsCache, mirror: String? = nil, policy: DownloadPolicy = DownloadPolicy()) {
    self.cache = cache
    self.mirror = mirror
    self.policy = policy
  }

  /// The hub the environment describes: the standard cache and `$EFFICIENTNET_WEIGHTS_MIRROR`.
  public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> WeightsHub
  {
    let mirror = environment[mirrorVariable].flatMap { $0.isEmpty ? nil : $0 }
    return WeightsHub(cache: WeightsCache.standard(environment: environment), mirror: mirror)
  }

  /// Where `entry` is fetched from: the mirror's URL for its file name, else the publisher's.
  public func downloadURL(for entry: WeightsEntry) -> URL? {
    guard let mirror else { return URL(string: entry.url) }
    let base = mirror.hasSuffix("/") ? String(mirror.dropLast()) : mirror
    return URL(string: base + "/" + entry.fileName)
  }

  /// The default conversion: the checkpoint loaded into the entry's configuration (every weight
  /// checked), written as F32 safetensors in timm's names with the entry recorded in the header.
  public static let convertToSafeTensors: Converter = { download, entry, destination in
    let network = try EfficientNet.load(configuration: try entry.configuration(), contentsOf: download)
    var writer = try network.safeTensors(as: .float32)
    writer.metadata["weights.entry"] = entry.name
    writer.metadata["weights.url"] = entry.url
    writer.metadata["weights.licence"] = entry.licence
    try writer.write(to: destination)
  }

  /// The cached, converted weights of `entry`, fetching and converting them first when absent.
  ///
  /// - Parameters:
  ///   - progress: called as bytes arrive (not called for a cache hit).
  ///   - converter: how the verified download becomes the cached file.
  /// - Throws: ``HubError``: the transfer's, an integrity mismatch (nothing cached), an unwritable
  ///   cache, or a download that does not convert.
  public func weights(
    for entry: WeightsEntry, progress: Downloader.Progress? = nil,
    converter: Converter = WeightsHub.convertToSafeTensors
  ) throws -> URL {
    let destination = cache.convertedFile(for: entry)
    if cache.contains(entry) { return destination }
    guard let url = downloadURL(for: entry) else {
      throw HubError.transferFailed(url: mirror ?? entry.url, reason: "not a valid URL", attempts: 0)
    }
    try cache.prepare()
    let partial = cache.partialFile(for: entry)
    // One process at a time fetches an entry; one that waited finds it cached.
    let lock = try DownloadLock(partial.appendingPathExtension("lock"))
    defer { lock.release() }
    if cache.contains(entry) { return destination }
    do {
      try fetchVerified(entry, from: url, into: partial, progress: progress)
    } catch {
      // An empty partial file resumes nothing: it is not left behind.
      if Self.size(of: partial) == 0 { try? FileManager.default.removeItem(at: partial) }
      throw error
    }
    defer { try? FileManager.default.removeItem(at: partial) }
    do {
      try converter(partial, entry, destination)
    } catch {
      throw HubError.conversionFailed(entry: entry.name, reason: "\(error)")
    }
    return destination
  }

  /// Downloads `url` into `partial` until it passes ``IntegrityCheck``; a resumed file that fails is
  /// fetched once more from its first byte (its earlier part may be stale).
  private func fetchVerified(
    _ entry: WeightsEntry, from url: URL, into partial: URL, progress: Downloader.Progress?
  ) throws {
    var limited = policy
    if let size = entry.byteSize { limited.maximumBytes = min(policy.maximumBytes, size) }
    let resumed = Self.size(of: partial) > 0
    for wholeFile in resumed ? [false, true] : [true] {
      do {
        try Downloader.download(from: url, to: partial, policy: limited, progress: progress)
      } catch HubError.tooLarge(let url, let limit) {
        try? FileManager.default.removeItem(at: partial)
        throw HubError.tooLarge(url: url, limit: limit)
      }
      guard let mismatch = try IntegrityCheck.mismatch(of: partial, for: entry) else { return }
      try? FileManager.default.removeItem(at: partial)
      if wholeFile {
        throw HubError.integrityMismatch(
          url: url.absoluteString, expected: mismatch.expected, found: mismatch.found)
      }
    }
  }

  /// The size of the file at `url`; 0 when it is absent.
  static func size(of url: URL) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.int64Value ?? 0
  }
}
