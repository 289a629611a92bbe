import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// How hard and how long a download tries, and how much it accepts.
public struct DownloadPolicy: Sendable {
  /// Attempts in all (the first included); a server error, a timeout or a cut-off transfer is retried.
  public var attempts: Int
  /// The pause before the second attempt, doubled before each later one.
  public var firstBackoff: TimeInterval
  /// The longest wait for the next bytes before an attempt gives up.
  public var idleTimeout: TimeInterval
  /// The longest one attempt may take in all.
  public var attemptTimeout: TimeInterval
  /// The most bytes the file may have: a server sending more is cut off (the disk cannot be filled).
  public var maximumBytes: Int64

  /// A policy; the defaults suit the published weights (the largest is about 260 MB).
  public init(
    attempts: Int = 4, firstBackoff: TimeInterval = 1, idleTimeout: TimeInterval = 60,
    attemptTimeout: TimeInterval = 4 * 3600, maximumBytes: Int64 = 1 << 30
  ) {
    self.attempts = max(1, attempts)
    self.firstBackoff = firstBackoff
    self.idleTimeout = idleTimeout
    self.attemptTimeout = attemptTimeout
    self.maximumBytes = maximumBytes
  }
}

/// Downloads one URL into a partial file, resuming it with an HTTP `Range` request when it already
/// holds bytes, and retrying with backoff after a failure that may pass.
public enum Downloader {
  /// Called as bytes arrive: the partial file's size and the full size when the server gave it.
  public typealias Progress = (_ received: Int64, _ expected: Int64?) -> Void

  /// Appends `url`'s bytes to `partialFile` (created when absent) until it is complete.
  ///
  /// The partial file is kept when every attempt fails, so a later call resumes it; a server that
  /// ignores the range starts the file over.
  /// - Throws: ``HubError/httpStatus(url:status:)`` for a status that retrying cannot change,
  ///   ``HubError/tooLarge(url:limit:)``, ``HubError/transferFailed(url:reason:attempts:)`` after the
  ///   last attempt, ``HubError/cacheUnwritable(path:reason:)`` when the file cannot be written.
  public static func download(
    from url: URL, to partialFile: URL, policy: DownloadPolicy = DownloadPolicy(), progress: Progress? = nil
  ) throws {
    var reason = "no attempt was made"
    for attempt in 1...policy.attempts {
      if attempt > 1 { Thread.sleep(forTimeInterval: policy.firstBackoff * pow(2, Double(attempt - 2))) }
      switch try DownloadAttempt(url: url, file: partialFile, policy: policy, progress: progress).run() {
      case .complete: return
      case .failed(let error): throw error
      case .retryable(let why): reason = why
      }
    }
    throw HubError.transferFailed(url: url.absoluteString, reason: reason, attempts: policy.attempts)
  }
}

/// How one attempt ended.
enum AttemptOutcome {
  /// The whole file is in the partial file.
  case complete
  /// Retrying cannot help.
  case failed(HubError)
  /// Another attempt may succeed.
  case retryable(String)
}
